-- WorkOS-style organization metadata: a JSON object of up to 50 string values, kept as text.
ALTER TABLE organizations ADD COLUMN metadata TEXT NOT NULL DEFAULT '{}';
