ALTER TABLE organizations DROP COLUMN metadata;
