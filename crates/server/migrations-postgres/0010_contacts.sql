-- Contacts: one row per person, keyed by the normalised email address (leads.email_key).
-- A contact's submissions are the leads with its key, kept unchanged as evidence; what
-- they add up to (profile, events) is the core's rule (core/src/contact.rs). Leads stored
-- before this migration are grouped into contacts when the collector opens the database
-- (Store::open, after their email_key is backfilled), which also covers a rolling upgrade.
CREATE TABLE contacts (
    contact_id TEXT PRIMARY KEY,
    email_key  TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
);
