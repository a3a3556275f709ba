-- PostgreSQL twin of migrations/0005_waterfall.sql.
ALTER TABLE leads ADD COLUMN stage TEXT NOT NULL DEFAULT 'inquiry';
ALTER TABLE leads ADD COLUMN stage_at TEXT;
ALTER TABLE leads ADD COLUMN mql_at TEXT;

CREATE TABLE stage_changes (
    lead_id  TEXT NOT NULL REFERENCES leads (lead_id),
    stage    TEXT NOT NULL,
    reason   TEXT,
    by_whom  TEXT NOT NULL,
    at       TEXT NOT NULL
);

CREATE INDEX stage_changes_by_lead ON stage_changes (lead_id);
