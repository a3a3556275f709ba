-- PostgreSQL twin of migrations/0002_server_score.sql.
-- The collector's own score of each lead (re-scored with the full domain lists and its
-- clock; the browser's preliminary score stays in `payload`), and flags such as
-- `score_mismatch` (a JSON array of strings).
ALTER TABLE leads ADD COLUMN server_score TEXT;
ALTER TABLE leads ADD COLUMN flags TEXT NOT NULL DEFAULT '[]';
