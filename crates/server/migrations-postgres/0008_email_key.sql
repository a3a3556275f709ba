-- The email address as erasure compares it: the validated address (trimmed, every kind of
-- white space) in Unicode lower case. Rows stored before this migration get theirs when the
-- collector opens the database (Store::open), computed by the core's rule.
ALTER TABLE leads ADD COLUMN email_key TEXT;
CREATE INDEX leads_by_email_key ON leads (email_key);
