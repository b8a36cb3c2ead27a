-- What each directory's identity provider sent and got back, for someone debugging an
-- integration ("why does Test API Credentials fail?"). Bodies are redacted and truncated; the
-- log is pruned to a bounded number of rows per directory.
CREATE TABLE scim_requests (
    id TEXT PRIMARY KEY NOT NULL,
    directory_id TEXT NOT NULL REFERENCES directories(id) ON DELETE CASCADE,
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    status BIGINT NOT NULL,
    duration_ms BIGINT NOT NULL,
    request_body TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX scim_requests_by_directory ON scim_requests(directory_id, id);
