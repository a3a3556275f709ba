-- The collector's forwarding outbox: one row per accepted lead and forwarding target of its
-- offer (`forward[target]`), written in the lead's own transaction; the forwarder sends
-- due rows, retries with backoff, and records the outcome.
CREATE TABLE forwards (
    lead_id    TEXT NOT NULL REFERENCES leads (lead_id),
    target     BIGINT NOT NULL,
    kind       TEXT NOT NULL,
    status     TEXT NOT NULL DEFAULT 'pending',
    attempts   BIGINT NOT NULL DEFAULT 0,
    next_at    BIGINT NOT NULL,
    last_error TEXT,
    PRIMARY KEY (lead_id, target)
);

CREATE INDEX forwards_due ON forwards (status, next_at);
