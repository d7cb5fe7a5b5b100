import Logging
import Postgres
import ServiceLifecycle

/// Publishes outbox rows the fast path did not (the process died between commit and publish, or
/// the broker was down): on start-up, every `relayInterval`, and once more on shutdown. Rows are
/// locked with `FOR UPDATE SKIP LOCKED`, so several instances share the work without both
/// publishing a row; a row is deleted only after the broker confirmed it.
final class OutboxRelay: Service, Sendable {
    private let connection: PostgresConnection
    private let outbox: OutboxPublisher
    private let interval: Duration
    private let grace: Duration
    private let metrics: RuntimeMetrics
    private let logger: Logger
    private let batchSize = 500

    init(connection: PostgresConnection, outbox: OutboxPublisher, interval: Duration, grace: Duration, metrics: RuntimeMetrics, logger: Logger) {
        self.connection = connection
        self.outbox = outbox
        self.interval = interval
        self.grace = grace
        self.metrics = metrics
        self.logger = logger
    }

    func run() async throws {
        // What a crash left behind is old by now or belongs to an instance still running; take
        // only rows past the grace period, like every later pass.
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            await relayOnce(olderThan: grace)
            await outbox.broker.keepAlive()
            try? await Task.sleep(for: interval)
        }
        // Graceful shutdown stops the event processor first, so this instance's fast path has
        // finished: publish everything left now. (On cancellation the processor may still be
        // publishing; leave the rest to the next start rather than publish twice.)
        // Rows the fast paths published are deleted first, so that they are not published again.
        if !Task.isCancelled {
            await outbox.sweeper.sweep(on: connection)
            await relayOnce(olderThan: .zero)
        }
    }

    /// Publishes pending rows older than `olderThan`, batch by batch; returns how many were published.
    @discardableResult
    func relayOnce(olderThan: Duration) async -> Int {
        var total = 0
        do {
            while true {
                let seconds = Double(olderThan.nanoseconds) / 1e9
                let published = try await connection.transaction { db -> Int in
                    let rows = try RuntimeTables.lockPending(limit: self.batchSize, olderThan: seconds, db)
                    guard !rows.isEmpty else { return 0 }
                    let confirmed = try await self.outbox.publish(rows)
                    try RuntimeTables.deleteFromOutbox(confirmed, db)
                    return confirmed.count
                }
                total += published
                if published < batchSize { break }
            }
            if total > 0 { logger.info("outbox relay published", metadata: ["outbox.rows": "\(total)"]) }
            metrics.outboxBacklog(try await connection.transaction { db in try RuntimeTables.outboxBacklog(db) })
        } catch let error as PostgresError where error.isConnectionProblem {
            logger.info("outbox relay: database unavailable", metadata: ["error.message": "\(error)"])
            try? await connection.reset()
        } catch {
            logger.info("outbox relay pass failed", metadata: ["error.message": "\(error)"])
        }
        return total
    }
}
