-- Accounts, their per-day usage, and one decision per delivery.

CREATE TABLE accounts (
    owner_id    text PRIMARY KEY,
    status      text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
    daily_limit int NOT NULL CHECK (daily_limit >= 0),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- Deliveries counted per owner and UTC day; incremented atomically with the limit checked in
-- the same statement, so concurrent requests never push an owner over its limit.
CREATE TABLE daily_usage (
    owner_id   text NOT NULL REFERENCES accounts (owner_id),
    day        date NOT NULL,
    deliveries int NOT NULL CHECK (deliveries >= 0),
    PRIMARY KEY (owner_id, day)
);

-- The first decision for each delivery: a later delivery.requested for the same delivery (a
-- republish under a new event id) finds it here, emits nothing and counts nothing.
CREATE TABLE decisions (
    delivery_id uuid PRIMARY KEY,
    owner_id    text NOT NULL,
    outcome     text NOT NULL CHECK (outcome IN ('validated', 'rejected')),
    reason_code text CHECK (reason_code IN ('ACCOUNT_UNKNOWN', 'ACCOUNT_SUSPENDED', 'DAILY_LIMIT_EXCEEDED')),
    decided_at  timestamptz NOT NULL DEFAULT now(),
    CHECK ((outcome = 'validated') = (reason_code IS NULL))
);
