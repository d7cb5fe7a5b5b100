-- The status row keeps the summary it was projected from (DeliveryStatusSummary.stored), so each
-- event is folded into it without reading the delivery's log. NULL on rows from before: the first
-- event logged for such a delivery folds its whole log once and stores the summary.
ALTER TABLE delivery_status ADD COLUMN summary json;
