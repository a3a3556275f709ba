-- PostgreSQL twin of migrations/0004_forwards.sql.
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
