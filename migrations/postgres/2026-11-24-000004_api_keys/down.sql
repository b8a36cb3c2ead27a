DROP INDEX directory_groups_by_organization;
DROP INDEX directory_users_by_organization;
DROP TABLE api_keys;
