-- Whether a directory accepts users whose email domain is not one of its organization's
-- ('flag': accept and mark them; 'refuse': answer 400), and the mark itself.
ALTER TABLE directories ADD COLUMN email_domain_policy TEXT NOT NULL DEFAULT 'flag';
ALTER TABLE directory_users ADD COLUMN email_outside_domains BOOLEAN NOT NULL DEFAULT FALSE;
