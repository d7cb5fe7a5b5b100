-- Idempotency keys are scoped per owner: one customer's key never answers (or refuses, 409)
-- another customer's request.
ALTER TABLE idempotency_keys ADD COLUMN owner_id text;
UPDATE idempotency_keys k SET owner_id = r.owner_id FROM requests r WHERE r.delivery_id = k.delivery_id;
DELETE FROM idempotency_keys WHERE owner_id IS NULL;
ALTER TABLE idempotency_keys ALTER COLUMN owner_id SET NOT NULL;
ALTER TABLE idempotency_keys DROP CONSTRAINT idempotency_keys_pkey;
ALTER TABLE idempotency_keys ADD PRIMARY KEY (owner_id, key);
