-- Cancellations after scheduling are decided by the drone service, which alone knows whether the
-- pickup happened first. 'cancelling': a cancellation was requested after scheduling and the
-- delivery waits for drone.released (cancelled) or drone.picked-up / drone.delivered (refused);
-- failure_code and failure_message hold the request meanwhile.
-- drone_released_for_cancellation: drone.released with DELIVERY_CANCELLED arrived (the drone can
-- no longer pick up), possibly before the cancellation request itself.
ALTER TABLE deliveries DROP CONSTRAINT deliveries_state_check;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_state_check CHECK (state IN (
    'joining', 'scheduled', 'cancelling', 'picked-up', 'completed', 'failed', 'cancelled'));
ALTER TABLE deliveries ADD COLUMN drone_released_for_cancellation boolean NOT NULL DEFAULT false;
