-- Webhooks: endpoints that receive events, one delivery per event and matching endpoint, one
-- row per delivery attempt. The events table is the outbox: `dispatched` says whether an event
-- has had its deliveries created. A flag rather than a "last id seen" cursor, because
-- transactions commit out of id order and a cursor would skip the late ones.

ALTER TABLE events ADD COLUMN dispatched BOOLEAN NOT NULL DEFAULT FALSE;
CREATE INDEX events_dispatch ON events(dispatched, created_at);

CREATE TABLE webhook_endpoints (
    id TEXT PRIMARY KEY NOT NULL,
    url TEXT NOT NULL,
    -- Comma-separated event types; empty means every type.
    event_types TEXT NOT NULL,
    -- Only this organization's events when set.
    organization_id TEXT REFERENCES organizations(id) ON DELETE CASCADE,
    enabled BOOLEAN NOT NULL,
    -- Stored as is: deliveries are signed with it, so it must be readable (unlike bearer
    -- tokens, which are only compared).
    secret TEXT NOT NULL,
    -- After a rotation, the old secret still signs (Standard Webhooks header) until it expires.
    previous_secret TEXT,
    previous_secret_expires_at BIGINT,
    -- When the current run of failed attempts began; cleared by any success.
    failing_since BIGINT,
    disabled_reason TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE webhook_deliveries (
    id TEXT PRIMARY KEY NOT NULL,
    event_id TEXT NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    endpoint_id TEXT NOT NULL REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
    -- pending, delivered or failed.
    status TEXT NOT NULL,
    -- Every attempt ever made, and those since the delivery was last (re)queued, which pick
    -- the next delay from the retry schedule.
    attempts BIGINT NOT NULL,
    round_attempts BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    -- A dispatcher holds a delivery until `locked_until`; past it, another may take it over.
    locked_until BIGINT,
    lease_owner TEXT,
    last_attempt_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX webhook_deliveries_event_endpoint ON webhook_deliveries(event_id, endpoint_id);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries(status, next_attempt_at);
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries(endpoint_id, id);

CREATE TABLE webhook_attempts (
    delivery_id TEXT NOT NULL REFERENCES webhook_deliveries(id) ON DELETE CASCADE,
    attempt BIGINT NOT NULL,
    started_at BIGINT NOT NULL,
    duration_ms BIGINT NOT NULL,
    status_code BIGINT,
    -- At most 1 KiB of what the receiver answered.
    response_body TEXT,
    error TEXT,
    -- Which dispatcher made the attempt.
    lease_owner TEXT NOT NULL,
    PRIMARY KEY (delivery_id, attempt)
);
