-- Offer analytics (issue 18): how many page views of an offer, per variant ('' without one)
-- and day (YYYY-MM-DD, UTC), had each event (view, start, step:N, invalid:<field>,
-- abandoned:<field>, submit, refused). Counts only: nothing here tells visitors apart.
CREATE TABLE offer_counts (
    offer_id TEXT NOT NULL,
    variant TEXT NOT NULL,
    day TEXT NOT NULL,
    event TEXT NOT NULL,
    count BIGINT NOT NULL,
    PRIMARY KEY (offer_id, variant, day, event)
);
