ALTER TABLE directory_users DROP COLUMN email_outside_domains;
ALTER TABLE directories DROP COLUMN email_domain_policy;
