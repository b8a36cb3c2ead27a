DROP TABLE directories;
DROP TABLE organization_domains;
DROP TABLE organizations;
