-- PostgreSQL twin of migrations/0001_leads.sql: the same columns, the same meaning.
CREATE TABLE leads (
    seq          BIGSERIAL PRIMARY KEY,
    lead_id      TEXT NOT NULL UNIQUE,
    offer_id     TEXT NOT NULL,
    submitted_at TEXT NOT NULL,
    received_at  TEXT NOT NULL
                 DEFAULT (to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')),
    email        TEXT,
    page_url     TEXT NOT NULL,
    payload      TEXT NOT NULL
);

CREATE INDEX leads_by_offer ON leads (offer_id, seq);
