-- Engagement after the form. A device is the random pseudonymous id a visitor's browser
-- made at a submission with marketing consent; it ties the behaviour events that browser
-- sends later to the person of that submission (never an email address in a request).
-- Each event is stored once per person (a page view reported again with more seconds or
-- a deeper scroll updates its row).
CREATE TABLE devices (
    device_id  TEXT PRIMARY KEY,
    contact_id TEXT NOT NULL,
    lead_id    TEXT NOT NULL,
    created_at TEXT NOT NULL,
    -- When it last sent a batch.
    last_seen_at TEXT
);
CREATE INDEX devices_by_contact ON devices (contact_id);

CREATE TABLE contact_events (
    contact_id     TEXT NOT NULL,
    kind           TEXT NOT NULL,
    at             TEXT NOT NULL,
    url            TEXT NOT NULL DEFAULT '',
    offer_id       TEXT NOT NULL DEFAULT '',
    seconds        REAL,
    scroll_percent REAL,
    received_at    TEXT NOT NULL,
    PRIMARY KEY (contact_id, kind, at, url, offer_id)
);
-- The newest events of a person first: what re-scoring reads (bounded).
CREATE INDEX contact_events_newest ON contact_events (contact_id, at DESC);
