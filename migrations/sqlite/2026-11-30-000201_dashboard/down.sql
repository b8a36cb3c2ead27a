DROP TABLE portal_links;
DROP INDEX audit_log_by_action;
DROP TABLE audit_log;
DROP TABLE admin_invitations;
DROP INDEX dashboard_sessions_by_expiry;
DROP TABLE dashboard_sessions;
DROP TABLE admins;
