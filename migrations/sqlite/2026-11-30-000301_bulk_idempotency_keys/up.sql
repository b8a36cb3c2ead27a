-- The first answer to each Idempotency-Key a custom API directory's source sent with a batch
-- that was written, so that a retry (after a timeout, by a workflow engine) gets that answer
-- again instead of applying the batch twice. Kept a day.
CREATE TABLE bulk_idempotency_keys (
    directory_id TEXT NOT NULL REFERENCES directories(id) ON DELETE CASCADE,
    idempotency_key TEXT NOT NULL,
    -- SHA-256 of the request body: the same key with another batch is refused.
    request_digest TEXT NOT NULL,
    status BIGINT NOT NULL,
    response TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (directory_id, idempotency_key)
);
CREATE INDEX bulk_idempotency_keys_created ON bulk_idempotency_keys(directory_id, created_at);
