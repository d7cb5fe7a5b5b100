package import Choreography
package import Foundation
import Logging
package import Postgres

/// Database access for a service's own HTTP routes (the ingestion commands, the history
/// queries): reads, and command transactions whose emitted events go through the outbox exactly
/// as an event handler's do — committed with the changes, then published in the background (the
/// caller never waits on the broker) and left to the outbox relay if the broker is unavailable.
package struct ServiceDatabase: Sendable {
    let pool: PostgresConnectionPool
    let dispatcher: OutboxDispatcher
    let logger: Logger

    /// Runs `body` in one local transaction for `deliveryId`; what it emits through the context is
    /// inserted into the outbox in the same transaction and handed to the background publisher
    /// after the commit.
    package func transaction<Value: Sendable>(
        deliveryId: UUID, causationId: UUID? = nil,
        _ body: @escaping @Sendable (inout HandlerContext, isolated PostgresConnection) throws -> Value
    ) async throws -> Value {
        var logger = self.logger
        logger[metadataKey: "delivery.id"] = "\(deliveryId)"
        let done = try await pool.withTransaction { [logger] db in
            try UnitOfWork.runCommand(deliveryId: deliveryId, causationId: causationId, logger: logger, db) { context in try body(&context, db) }
        }
        dispatcher.submit(try done.outbox.rows())
        return done.value
    }

    /// Runs read-only work on a pooled connection (search_path is the service's schema).
    package func read<Value: Sendable>(_ body: @escaping @Sendable (isolated PostgresConnection) throws -> Value) async throws -> Value {
        try await pool.withConnection { db in try body(db) }
    }
}
