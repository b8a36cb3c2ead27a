DROP TABLE webhook_attempts;
DROP TABLE webhook_deliveries;
DROP TABLE webhook_endpoints;
DROP INDEX events_dispatch;
ALTER TABLE events DROP COLUMN dispatched;
