DROP TABLE events;
DROP TABLE directory_group_members;
DROP TABLE directory_groups;
DROP TABLE directory_user_emails;
DROP TABLE directory_users;
ALTER TABLE directories DROP COLUMN event_sequence;
