-- The dashboard's people and their traces: vendor admins (argon2id password hashes), browser
-- sessions (admins' and IT admins' setup-portal ones; only a digest of each cookie is kept),
-- invitations for further admins, the audit log, and the single-use setup-portal links.
CREATE TABLE admins (
    id TEXT PRIMARY KEY NOT NULL,
    email TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_login_at BIGINT
);

CREATE TABLE dashboard_sessions (
    token_digest TEXT PRIMARY KEY NOT NULL,
    admin_id TEXT REFERENCES admins(id) ON DELETE CASCADE,
    organization_id TEXT REFERENCES organizations(id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX dashboard_sessions_by_expiry ON dashboard_sessions(expires_at);

CREATE TABLE admin_invitations (
    id TEXT PRIMARY KEY NOT NULL,
    email TEXT NOT NULL,
    token_digest TEXT NOT NULL UNIQUE,
    invited_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    accepted_at BIGINT
);

CREATE TABLE audit_log (
    id TEXT PRIMARY KEY NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT,
    organization_id TEXT,
    details TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX audit_log_by_action ON audit_log(action, id);

CREATE TABLE portal_links (
    id TEXT PRIMARY KEY NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    token_digest TEXT NOT NULL UNIQUE,
    intent TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
