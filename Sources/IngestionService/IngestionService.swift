import APIAccess
package import Choreography
import Contracts
import Foundation
import Logging
import Postgres

/// The ingestion service: the public command API (`POST /api/deliveries`,
/// `DELETE /api/deliveries/{id}`). It validates requests, stores what it accepts in its own
/// schema and emits `delivery.requested` / `delivery.cancellation-requested` through its outbox,
/// so nothing accepted is ever lost even while the broker is down. It consumes no events.
package enum IngestionService {
    /// The service's definition for queue prefix `name` and schema `schema`.
    package static func definition(name: String = "ingestion", schema: String = "ingestion") throws -> ServiceDefinition {
        var definition = ServiceDefinition(name: name, schema: try SQLIdentifier(schema), migrations: try migrations())
        definition.onAdminSetup(APIAccessSchema.adminSetup)
        definition.onStartup { db, logger in
            let expired = try db.execute("DELETE FROM idempotency_keys WHERE created_at < clock_timestamp() - interval '24 hours'", [])
            if expired > 0 { logger.info("expired idempotency keys removed", metadata: ["idempotency.expired_keys": "\(expired)"]) }
        }
        return definition
    }

    /// The service's migrations, from its `Migrations` resource folder.
    package static func migrations() throws -> [Migration] {
        try Migration.load(from: .module)
    }
}
