-- The stage history keyed by the lead's sequence number instead of its UUID. Lead ids are
-- random, so an index on them takes every new lead's first stage row at a random page, and
-- each batch rewrote one such page per lead; the sequence number only grows, so the rows
-- append. lead_id stays for reading, without an index; the foreign key moves to seq (so
-- erasing a lead finds its rows through the new index).
CREATE TABLE stage_changes_by_seq (
    lead_seq INTEGER NOT NULL REFERENCES leads (seq),
    lead_id  TEXT NOT NULL,
    stage    TEXT NOT NULL,
    reason   TEXT,
    by_whom  TEXT NOT NULL,
    at       TEXT NOT NULL
);

INSERT INTO stage_changes_by_seq (lead_seq, lead_id, stage, reason, by_whom, at)
    SELECT l.seq, c.lead_id, c.stage, c.reason, c.by_whom, c.at
    FROM stage_changes c JOIN leads l ON l.lead_id = c.lead_id;

DROP TABLE stage_changes;
ALTER TABLE stage_changes_by_seq RENAME TO stage_changes;
CREATE INDEX stage_changes_by_lead_seq ON stage_changes (lead_seq);
