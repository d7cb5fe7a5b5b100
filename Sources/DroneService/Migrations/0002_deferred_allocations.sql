-- 'deferred': the package was created for a pickup more than the allocation lead time ahead
-- (ALLOCATION_LEAD_TIME_S): no drone is held yet; the 'allocate-drone' deadline, due a lead time
-- before the pickup, allocates then. A compensation before that makes it
-- 'cancelled-before-allocation' and cancels the deadline.
ALTER TABLE allocations DROP CONSTRAINT allocations_state_check;
ALTER TABLE allocations ADD CONSTRAINT allocations_state_check CHECK (state IN (
    'deferred', 'allocated', 'flying', 'delivered', 'released', 'failed', 'cancelled-before-allocation'));
ALTER TABLE allocations DROP CONSTRAINT allocations_drone_iff_allocated;
ALTER TABLE allocations ADD CONSTRAINT allocations_drone_iff_allocated CHECK (
    (state IN ('deferred', 'failed', 'cancelled-before-allocation')) = (drone_id IS NULL));
