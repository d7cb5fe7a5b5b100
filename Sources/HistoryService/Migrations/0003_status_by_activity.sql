-- The explorer's saga list (saga-explorer) pages through delivery_status newest activity
-- first: ORDER BY updated_at DESC, delivery_id DESC LIMIT n, continuing after the last row seen.
-- This index answers a page by reading n entries instead of sorting every delivery. It is
-- updated with each event (updated_at changes), one more index entry per status write.
CREATE INDEX delivery_status_by_activity ON delivery_status (updated_at DESC, delivery_id DESC);
