-- The studio's publishing history (issue 18): every text of an offer file published, who
-- and when. The file in the offers folder is the live one; version N is what publish or
-- rollback N wrote (version 1 of a file published first by the studio is the text the
-- folder held before).
CREATE TABLE offer_versions (
    file TEXT NOT NULL,
    version BIGINT NOT NULL,
    at TEXT NOT NULL,
    author TEXT NOT NULL,
    text TEXT NOT NULL,
    PRIMARY KEY (file, version)
);
