-- The drone service's fleet and its allocations (one row per delivery).
--
-- drones: one row per drone of the fleet, seeded at start-up from DRONE_FLEET (never changed by
-- seeding once it exists). state: 'idle' (in the pool, delivery_id NULL), 'allocated' (reserved
-- for delivery_id, not yet picked up), 'flying' (picked the package up; stays so after the
-- drop-off until delivery.completed frees it).
CREATE TABLE drones (
    drone_id        text PRIMARY KEY,
    max_payload_kg  double precision NOT NULL CHECK (max_payload_kg > 0),
    range_km        double precision NOT NULL CHECK (range_km > 0),
    speed_kmh       double precision NOT NULL CHECK (speed_kmh > 0),
    home_latitude   double precision NOT NULL CHECK (home_latitude BETWEEN -90 AND 90),
    home_longitude  double precision NOT NULL CHECK (home_longitude BETWEEN -180 AND 180),
    state           text NOT NULL DEFAULT 'idle' CHECK (state IN ('idle', 'allocated', 'flying')),
    delivery_id     uuid,
    updated_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    CONSTRAINT drones_busy_iff_delivery CHECK ((state = 'idle') = (delivery_id IS NULL))
);
-- A delivery holds at most one drone.
CREATE UNIQUE INDEX drones_one_per_delivery ON drones (delivery_id) WHERE delivery_id IS NOT NULL;

-- allocations: what the service decided for each delivery (primary key: delivery_id), so every
-- later event for the delivery finds its state here. state:
--   'allocated'  drone reserved, not picked up yet (the only state a compensation releases)
--   'flying'     the drone picked the package up
--   'delivered'  the drone dropped the package off (the drone is freed on delivery.completed)
--   'released'   the drone went back to the pool; release_reason is the drone.released code
--                (ACCOUNT_REJECTED, SCHEDULING_FAILED, DELIVERY_CANCELLED, DELIVERY_COMPLETED)
--   'failed'     no drone was allocated (drone.allocation-failed was emitted); drone_id NULL,
--                failure_code is the reason code (NO_DRONE_WITH_CAPACITY, NO_DRONE_IN_RANGE,
--                NO_DRONE_AVAILABLE). A later package.created for the delivery does nothing.
--   'cancelled-before-allocation'
--                tombstone: a compensation arrived before package.created; drone_id NULL,
--                release_reason is the compensation's code. A late package.created does nothing.
-- Active allocations (the drone is not in the pool) are 'allocated' and 'flying' (and
-- 'delivered' until delivery.completed); the drone's own row says the same in drones.state.
CREATE TABLE allocations (
    delivery_id       uuid PRIMARY KEY,
    drone_id          text REFERENCES drones (drone_id),
    package_id        uuid,
    state             text NOT NULL CHECK (state IN (
                          'allocated', 'flying', 'delivered', 'released', 'failed', 'cancelled-before-allocation')),
    pickup_eta        timestamptz,
    dropoff_eta       timestamptz,
    pickup_latitude   double precision,
    pickup_longitude  double precision,
    dropoff_latitude  double precision,
    dropoff_longitude double precision,
    delivery_deadline timestamptz,
    release_reason    text,
    failure_code      text,
    allocated_at      timestamptz,
    picked_up_at      timestamptz,
    delivered_at      timestamptz,
    released_at       timestamptz,
    recorded_at       timestamptz NOT NULL DEFAULT clock_timestamp(),
    CONSTRAINT allocations_drone_iff_allocated CHECK (
        (state IN ('failed', 'cancelled-before-allocation')) = (drone_id IS NULL)),
    CONSTRAINT allocations_route_known CHECK (
        drone_id IS NULL OR (package_id IS NOT NULL AND pickup_eta IS NOT NULL AND dropoff_eta IS NOT NULL
            AND pickup_latitude IS NOT NULL AND pickup_longitude IS NOT NULL
            AND dropoff_latitude IS NOT NULL AND dropoff_longitude IS NOT NULL AND allocated_at IS NOT NULL)),
    CONSTRAINT allocations_release_reason CHECK (
        (state IN ('released', 'cancelled-before-allocation')) = (release_reason IS NOT NULL)),
    CONSTRAINT allocations_failure_code CHECK ((state = 'failed') = (failure_code IS NOT NULL))
);
-- The database itself refuses a double allocation: a drone is in at most one allocation that
-- still holds it ('allocated', 'flying', or 'delivered' before delivery.completed frees it).
CREATE UNIQUE INDEX allocations_one_active_per_drone ON allocations (drone_id)
    WHERE state IN ('allocated', 'flying', 'delivered');
