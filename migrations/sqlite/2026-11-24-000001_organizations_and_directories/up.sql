-- Timestamps are Unix milliseconds (BIGINT) on both backends so that one diesel schema serves both.
CREATE TABLE organizations (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    external_id TEXT UNIQUE,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE organization_domains (
    domain TEXT PRIMARY KEY NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL
);
CREATE INDEX organization_domains_by_organization ON organization_domains(organization_id);

CREATE TABLE directories (
    id TEXT PRIMARY KEY NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    directory_type TEXT NOT NULL,
    state TEXT NOT NULL,
    external_key TEXT NOT NULL UNIQUE,
    bearer_token_digest TEXT NOT NULL,
    inactive_user_retention_days BIGINT,
    last_request_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX directories_by_organization ON directories(organization_id, id);
