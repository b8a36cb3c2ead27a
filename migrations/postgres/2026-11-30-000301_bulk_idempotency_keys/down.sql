DROP TABLE bulk_idempotency_keys;
