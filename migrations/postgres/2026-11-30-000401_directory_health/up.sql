-- What an operator watches per directory: the last error its identity provider was answered
-- (kept apart from the directory row, which SCIM writers lock), and since when it has been
-- silent (no request for longer than ROSTER_DIRECTORY_SILENT_AFTER), if it is.
CREATE TABLE directory_health (
    directory_id TEXT PRIMARY KEY NOT NULL REFERENCES directories(id) ON DELETE CASCADE,
    last_error_at BIGINT,
    last_error_status BIGINT,
    last_error_detail TEXT,
    silent_since BIGINT
);
