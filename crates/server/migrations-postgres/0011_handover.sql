-- The MQL moment per person: a contact's stage (scoring makes an `inquiry` an `mql`;
-- people move it on), when it became an MQL (the SLA's start), its queue; every move of a
-- contact with its cause; and the notifications of a hand-over, an outbox the notifier
-- sends from with retries (a webhook per queue, an email per owner).
ALTER TABLE contacts ADD COLUMN stage TEXT NOT NULL DEFAULT 'inquiry';
ALTER TABLE contacts ADD COLUMN stage_at TEXT;
ALTER TABLE contacts ADD COLUMN mql_at TEXT;
ALTER TABLE contacts ADD COLUMN queue TEXT;
ALTER TABLE contacts ADD COLUMN reminded_at TEXT;

CREATE TABLE contact_moves (
    contact_id TEXT NOT NULL,
    stage      TEXT NOT NULL,
    cause      TEXT,
    by_whom    TEXT NOT NULL,
    at         TEXT NOT NULL
);
CREATE INDEX contact_moves_by_contact ON contact_moves (contact_id);

CREATE TABLE notifications (
    id         BIGSERIAL PRIMARY KEY,
    contact_id TEXT NOT NULL,
    channel    TEXT NOT NULL,
    target     TEXT NOT NULL,
    subject    TEXT,
    body       TEXT NOT NULL,
    secret_env TEXT,
    status     TEXT NOT NULL DEFAULT 'pending',
    attempts   BIGINT NOT NULL DEFAULT 0,
    next_at    BIGINT NOT NULL DEFAULT 0,
    last_error TEXT
);
CREATE INDEX notifications_due ON notifications (status, next_at);
