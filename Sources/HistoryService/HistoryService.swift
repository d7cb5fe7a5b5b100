import APIAccess
package import Choreography
import Contracts
import Foundation
import Logging
import Postgres
import UUIDText

/// The history service: logs every event of every delivery (its work queue is bound to `#`) in
/// an append-only `events` table and keeps `delivery_status`, each delivery's status folded one
/// event at a time into a stored ``DeliveryStatusSummary``, so the view is the same whatever
/// order the events arrived in (and what projecting all of them would give) at a constant cost
/// per event. It emits nothing; ``HistoryQueries`` reads the view for the status API and `saga-inspect`.
package enum HistoryService {
    /// The service's definition for queue prefix `name` and schema `schema` (tests use unique
    /// ones); `settings` only shape the routes (``HistoryRoutes``) and are taken here for symmetry.
    package static func definition(
        name: String = "history", schema: String = "history", settings: HistorySettings = HistorySettings()
    ) throws -> ServiceDefinition {
        var definition = ServiceDefinition(name: name, schema: try SQLIdentifier(schema), migrations: try migrations())
        // Its handlers lock only their own delivery's rows (taken in delivery order): several events can share a transaction.
        definition.eventsPerTransaction = 16
        definition.extraBindings = ["#"]
        definition.onAdminSetup(APIAccessSchema.adminSetup)
        definition.onAnyEvent { received, context, db in
            log(try EventLog.record([received], db), context.logger)
        }
        definition.onEventBatch { events, logger, db in
            log(try EventLog.record(events, db), logger)
        }
        return definition
    }

    /// Logs (at debug level) each delivery's new status.
    private static func log(_ statuses: [DeliveryStatus], _ logger: Logger) {
        for status in statuses {
            logger.debug("event logged", metadata: [
                "delivery.id": .string(status.deliveryId.uppercaseText), "delivery.stage": "\(status.stage.rawValue)",
                "delivery.saga_state": "\(status.sagaState.rawValue)",
            ])
        }
    }

    /// The service's migrations, from its `Migrations` resource folder.
    package static func migrations() throws -> [Migration] {
        try Migration.load(from: .module)
    }
}
