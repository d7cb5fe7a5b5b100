-- A delivery that ends without completing gives its place in the owner's daily limit back.
-- decisions.counted_day: the UTC day whose usage the delivery was counted in (validated ones).
-- decisions.given_back_at: when that count was given back (once).
-- ended_deliveries: deliveries whose saga ended in a failure or cancellation, recorded by the
-- first such event; a delivery.requested that arrives after it is decided but not counted.
ALTER TABLE decisions ADD COLUMN counted_day date;
ALTER TABLE decisions ADD COLUMN given_back_at timestamptz;
CREATE TABLE ended_deliveries (
    delivery_id uuid PRIMARY KEY,
    ended_by    text NOT NULL,
    ended_at    timestamptz NOT NULL DEFAULT now()
);
