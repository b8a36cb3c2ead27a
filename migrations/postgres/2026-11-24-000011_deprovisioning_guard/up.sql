-- The mass-deprovisioning guard. When more than `percent` of a directory's active users, and at
-- least `minimum` of them, are deactivated or deleted within `window_minutes`, the webhooks of
-- those deprovisionings are held until an admin releases or discards them.
ALTER TABLE directories ADD COLUMN deprovisioning_guard_enabled BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE directories ADD COLUMN deprovisioning_guard_percent BIGINT NOT NULL DEFAULT 30;
ALTER TABLE directories ADD COLUMN deprovisioning_guard_minimum BIGINT NOT NULL DEFAULT 20;
ALTER TABLE directories ADD COLUMN deprovisioning_guard_window_minutes BIGINT NOT NULL DEFAULT 60;

-- `deprovisions`: the event took an active user away (deactivated or deleted it); the guard
-- counts these within its window. `held`: the fan-out skips the event until its hold
-- (`hold_id`) is released; a discarded hold's events are marked dispatched instead.
ALTER TABLE events ADD COLUMN deprovisions BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE events ADD COLUMN held BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE events ADD COLUMN hold_id TEXT;
CREATE INDEX events_deprovisions ON events(directory_id, deprovisions, created_at);
CREATE INDEX events_hold ON events(hold_id);

-- Not tied to the directory by a foreign key, like events: a held event outlives its directory
-- and must still be released or discarded.
CREATE TABLE deprovisioning_holds (
    id TEXT PRIMARY KEY NOT NULL,
    directory_id TEXT NOT NULL,
    organization_id TEXT NOT NULL,
    -- open, released or discarded.
    status TEXT NOT NULL,
    opened_at BIGINT NOT NULL,
    -- Deprovisionings counted in the window when the hold opened, and the active users
    -- estimated at the window's start (active then + those deprovisioned).
    deprovisioned BIGINT NOT NULL,
    active_at_start BIGINT NOT NULL,
    decided_at BIGINT
);
CREATE INDEX deprovisioning_holds_directory ON deprovisioning_holds(directory_id, status);
CREATE INDEX deprovisioning_holds_status ON deprovisioning_holds(status, id);
