-- Users and groups provisioned into directories, their memberships, and the dsync events that
-- describe every change (written in the same transaction as the change: the outbox).

ALTER TABLE directories ADD COLUMN event_sequence BIGINT NOT NULL DEFAULT 0;

CREATE TABLE directory_users (
    id TEXT PRIMARY KEY NOT NULL,
    directory_id TEXT NOT NULL REFERENCES directories(id) ON DELETE CASCADE,
    organization_id TEXT NOT NULL,
    -- Lower-cased copies of the attributes filters compare case-insensitively, so that the
    -- comparison can use an index and behaves the same on both backends.
    user_name_key TEXT NOT NULL,
    external_id TEXT,
    display_name_key TEXT,
    email_key TEXT,
    active BOOLEAN NOT NULL,
    -- The SCIM document as the identity provider sent it (canonical attribute names, unknown
    -- attributes kept, never a password), and the normalised profile apps consume.
    document TEXT NOT NULL,
    profile TEXT NOT NULL,
    version BIGINT NOT NULL,
    deactivated_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX directory_users_user_name ON directory_users(directory_id, user_name_key);
CREATE INDEX directory_users_external_id ON directory_users(directory_id, external_id);
CREATE INDEX directory_users_display_name ON directory_users(directory_id, display_name_key);
CREATE INDEX directory_users_email ON directory_users(directory_id, email_key);
CREATE INDEX directory_users_page ON directory_users(directory_id, id);
CREATE INDEX directory_users_deactivated ON directory_users(deactivated_at);

-- Every email address of every user, lower-cased, so that `emails` filters use an index.
CREATE TABLE directory_user_emails (
    user_id TEXT NOT NULL REFERENCES directory_users(id) ON DELETE CASCADE,
    directory_id TEXT NOT NULL,
    position BIGINT NOT NULL,
    value_key TEXT NOT NULL,
    type_key TEXT,
    is_primary BOOLEAN NOT NULL,
    PRIMARY KEY (user_id, position)
);
CREATE INDEX directory_user_emails_value ON directory_user_emails(directory_id, value_key);

CREATE TABLE directory_groups (
    id TEXT PRIMARY KEY NOT NULL,
    directory_id TEXT NOT NULL REFERENCES directories(id) ON DELETE CASCADE,
    organization_id TEXT NOT NULL,
    display_name TEXT NOT NULL,
    display_name_key TEXT NOT NULL,
    external_id TEXT,
    document TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX directory_groups_display_name ON directory_groups(directory_id, display_name_key);
CREATE INDEX directory_groups_external_id ON directory_groups(directory_id, external_id);
CREATE INDEX directory_groups_page ON directory_groups(directory_id, id);

CREATE TABLE directory_group_members (
    group_id TEXT NOT NULL REFERENCES directory_groups(id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES directory_users(id) ON DELETE CASCADE,
    directory_id TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX directory_group_members_by_user ON directory_group_members(user_id, group_id);

-- Not tied to the directory by a foreign key: `dsync.deleted` outlives its directory.
CREATE TABLE events (
    id TEXT PRIMARY KEY NOT NULL,
    directory_id TEXT NOT NULL,
    organization_id TEXT NOT NULL,
    sequence BIGINT NOT NULL,
    event_type TEXT NOT NULL,
    data TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX events_directory_sequence ON events(directory_id, sequence);
CREATE INDEX events_organization ON events(organization_id, id);
CREATE INDEX events_created ON events(created_at);
