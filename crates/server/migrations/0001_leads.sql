-- Leads as the collector received them. `payload` is the body exactly as sent, so an
-- idempotent replay can be compared byte for byte; the other columns are for querying.
CREATE TABLE leads (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    lead_id      TEXT NOT NULL UNIQUE,
    offer_id     TEXT NOT NULL,
    submitted_at TEXT NOT NULL,
    received_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    email        TEXT,
    page_url     TEXT NOT NULL,
    payload      TEXT NOT NULL
);

CREATE INDEX leads_by_offer ON leads (offer_id, seq);
