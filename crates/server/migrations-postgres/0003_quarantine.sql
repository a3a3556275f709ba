-- PostgreSQL twin of migrations/0003_quarantine.sql.
-- Leads that failed a spam check (proof of work, fill time, honeypot) are kept, with the
-- reasons as a JSON array of strings; NULL for leads that passed.
ALTER TABLE leads ADD COLUMN quarantine TEXT;
