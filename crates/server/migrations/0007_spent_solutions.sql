-- Proof-of-work solutions spent, in the database so that a restart or a second collector
-- sharing it refuses a solution used once. Written in the transaction of the lead that
-- spent it (a lead that was not stored spent nothing, so its retry passes); each row may go
-- once its challenge has expired (unix seconds).
CREATE TABLE spent_solutions (
    signature  TEXT PRIMARY KEY,
    lead_id    TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX spent_solutions_by_expiry ON spent_solutions (expires_at);
