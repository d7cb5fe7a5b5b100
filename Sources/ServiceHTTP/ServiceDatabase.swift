package import Choreography
package import Foundation
import Logging
package import Postgres
import Tracing

/// Database access for a service's own HTTP routes (the ingestion commands, the history
/// queries): reads, and command transactions whose emitted events go through the outbox exactly
/// as an event handler's do — committed with the changes, then published in the background (the
/// caller never waits on the broker) and left to the outbox relay if the broker is unavailable.
package struct ServiceDatabase: Sendable {
    let pool: PostgresConnectionPool
    let dispatcher: OutboxDispatcher
    let logger: Logger
    /// Continues the request's trace (the HTTP server span) into what the command emits.
    var tracer: RuntimeTracer = .off

    /// Runs `body` in one local transaction for `deliveryId`; what it emits through the context is
    /// inserted into the outbox in the same transaction and handed to the background publisher
    /// after the commit.
    package func transaction<Value: Sendable>(
        deliveryId: UUID, causationId: UUID? = nil,
        _ body: @escaping @Sendable (inout HandlerContext, isolated PostgresConnection) throws -> Value
    ) async throws -> Value {
        var logger = self.logger
        logger[metadataKey: "delivery.id"] = "\(deliveryId)"
        // The request's span (Hummingbird's TracingMiddleware) emits; the transaction is its child.
        let trace = tracer.carrier(of: nil)
        let transaction = tracer.startTransaction(under: nil)
        let done: (value: Value, outbox: PendingOutboxRows)
        do {
            done = try await pool.withTransaction { [logger] db in
                try UnitOfWork.runCommand(deliveryId: deliveryId, causationId: causationId, logger: logger, trace: trace, db) { context in
                    try body(&context, db)
                }
            }
        } catch {
            tracer.end(transaction, error: error)
            throw error
        }
        tracer.end(transaction)
        dispatcher.submit(try done.outbox.rows())
        return done.value
    }

    /// Runs read-only work on a pooled connection (search_path is the service's schema).
    package func read<Value: Sendable>(_ body: @escaping @Sendable (isolated PostgresConnection) throws -> Value) async throws -> Value {
        try await pool.withConnection { db in try body(db) }
    }
}
