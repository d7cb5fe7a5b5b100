-- Packages and the package service's outcome per delivery.

CREATE TABLE packages (
    package_id    uuid PRIMARY KEY,
    delivery_id   uuid NOT NULL UNIQUE,
    owner_id      text NOT NULL,
    size          text NOT NULL CHECK (size IN ('small', 'medium', 'large')),
    weight_kg     double precision NOT NULL CHECK (weight_kg > 0),
    tag           text NOT NULL,
    state         text NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'cancelled', 'delivered')),
    -- The package.cancelled reason code (ACCOUNT_REJECTED, DRONE_ALLOCATION_FAILED, SCHEDULING_FAILED,
    -- DELIVERY_CANCELLED) once cancelled.
    cancel_reason text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CHECK ((state = 'cancelled') = (cancel_reason IS NOT NULL))
);

-- The first thing that happened to each delivery here, and the row every handler of a delivery
-- claims first (INSERT … ON CONFLICT DO NOTHING), so two events of one delivery handled at once
-- serialise on it and the second sees what the first did:
--   created                    — delivery.requested passed the rules; the package is in `packages`
--   rejected                   — delivery.requested broke a rule (reason_code: the package.rejected code)
--   cancelled-before-creation  — TOMBSTONE: a compensation came before delivery.requested
--                                (reason_code: the package.cancelled code); the late request creates nothing
CREATE TABLE delivery_outcomes (
    delivery_id uuid PRIMARY KEY,
    state       text NOT NULL CHECK (state IN ('created', 'rejected', 'cancelled-before-creation')),
    reason_code text,
    recorded_at timestamptz NOT NULL DEFAULT now(),
    CHECK ((state = 'created') = (reason_code IS NULL))
);
