-- Keys for the management API. Only a SHA-256 digest of each secret is kept.
CREATE TABLE api_keys (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    secret_digest TEXT NOT NULL UNIQUE,
    organization_id TEXT REFERENCES organizations(id) ON DELETE CASCADE,
    read_only BOOLEAN NOT NULL,
    last_used_at BIGINT,
    revoked_at BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX directory_users_by_organization ON directory_users(organization_id, id);
CREATE INDEX directory_groups_by_organization ON directory_groups(organization_id, id);
