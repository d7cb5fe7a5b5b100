-- Accepted delivery requests: the command side's own record of what it accepted.
CREATE TABLE requests (
    delivery_id               uuid PRIMARY KEY,
    owner_id                  text NOT NULL,
    request                   jsonb NOT NULL,
    idempotency_key           text,
    accepted_at               timestamptz NOT NULL DEFAULT clock_timestamp(),
    cancellation_requested_at timestamptz
);

-- Idempotency keys (kept 24 hours): a retry with the same key and body gets the first answer.
CREATE TABLE idempotency_keys (
    key         text PRIMARY KEY,
    delivery_id uuid NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at);
