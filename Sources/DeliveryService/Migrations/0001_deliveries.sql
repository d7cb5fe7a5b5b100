-- One row per delivery: the join of the account branch (account.validated) and the drone
-- branch (drone.allocated), then the flight and the end. Created by whichever event of the
-- delivery arrives first; every handler locks it (SELECT ... FOR UPDATE), so two events of one
-- delivery handled at once on two connections apply one after the other.
CREATE TABLE deliveries (
    delivery_id       uuid PRIMARY KEY,
    owner_id          text,
    account_state     text NOT NULL DEFAULT 'pending'
                      CHECK (account_state IN ('pending', 'validated', 'rejected')),
    drone_id          text,
    package_id        uuid,
    pickup_eta        timestamptz,
    dropoff_eta       timestamptz,
    dropoff_latitude  double precision,
    dropoff_longitude double precision,
    deadline          timestamptz,
    state             text NOT NULL DEFAULT 'joining'
                      CHECK (state IN ('joining', 'scheduled', 'picked-up', 'completed', 'failed', 'cancelled')),
    -- Why the delivery failed or was cancelled (a reason code and its message).
    failure_code      text,
    failure_message   text,
    created_at        timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at        timestamptz NOT NULL DEFAULT clock_timestamp()
);
