-- The stage history keyed by the lead's sequence number instead of its UUID. Lead ids are
-- random, so an index on them takes every new lead's first stage row at a random page; the
-- sequence number only grows, so the rows append. lead_id stays for reading, without an
-- index; the foreign key moves to seq (so erasing a lead finds its rows through the new
-- index).
ALTER TABLE stage_changes ADD COLUMN lead_seq BIGINT;
UPDATE stage_changes c SET lead_seq = l.seq FROM leads l WHERE l.lead_id = c.lead_id;
ALTER TABLE stage_changes ALTER COLUMN lead_seq SET NOT NULL;
ALTER TABLE stage_changes DROP CONSTRAINT stage_changes_lead_id_fkey;
ALTER TABLE stage_changes ADD FOREIGN KEY (lead_seq) REFERENCES leads (seq);
DROP INDEX stage_changes_by_lead;
CREATE INDEX stage_changes_by_lead_seq ON stage_changes (lead_seq);
