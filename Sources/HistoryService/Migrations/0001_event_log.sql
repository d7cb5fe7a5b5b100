-- The append-only log of every event of every delivery (body = the whole validated envelope),
-- and the status view recomputed from it after each event.
CREATE TABLE events (
    event_id       uuid PRIMARY KEY,
    delivery_id    uuid NOT NULL,
    event_type     text NOT NULL,
    schema_version int NOT NULL,
    producer       text NOT NULL,
    causation_id   uuid,
    occurred_at    timestamptz NOT NULL,
    recorded_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
    body           jsonb NOT NULL
);
CREATE INDEX events_by_delivery ON events (delivery_id, occurred_at);

-- One row per delivery: DeliveryStatusProjection over all of the delivery's events, sorted by
-- occurred_at, so it is the same whatever order they arrived in. Every event of a delivery
-- locks this row first, so events of one delivery are logged and projected one after the other.
CREATE TABLE delivery_status (
    delivery_id     uuid PRIMARY KEY,
    stage           text NOT NULL CHECK (stage IN
                    ('Created', 'HeadedToPickup', 'HeadedToDropoff', 'Completed', 'Cancelled', 'Compensated', 'Rejected')),
    saga_state      text NOT NULL CHECK (saga_state IN ('inFlight', 'completed', 'compensated', 'rejected', 'stuck')),
    owner_id        text,
    drone_id        text,
    package_id      uuid,
    pickup_eta      timestamptz,
    dropoff_eta     timestamptz,
    reason_code     text,
    reason_message  text,
    last_event_type text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    -- When the delivery's latest event occurred (the API's updatedAt).
    updated_at      timestamptz NOT NULL
);
