-- The status row keeps the summary it was projected from (DeliveryStatusSummary.stored), so each
-- event is folded into it without reading the delivery's log. NULL on rows from before: the first
-- event logged for such a delivery folds its whole log once and stores the summary. Instances of
-- the previous version update rows without it, so stop them before starting this one (or set
-- summary = NULL on the rows they touched: each refolds its log on its next event).
ALTER TABLE delivery_status ADD COLUMN summary json;
