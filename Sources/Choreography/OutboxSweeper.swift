import Logging
import Postgres
import ServiceLifecycle
import Synchronization

/// Deletes the outbox rows the broker confirmed, many at a time: the fast paths (event
/// processor, deadline scheduler, HTTP commands) publish without a database transaction and
/// hand the confirmed ids here, and this deletes them every `interval` in one transaction that
/// does not wait for the disk. Before, each published batch cost a transaction of its own that
/// claimed its rows and deleted them (2–3 statements and a commit per batch: about 2.7
/// transactions per saga, measured with `saga-bench load`).
///
/// A confirmed row waits here at most `interval` (shorter than the relay's grace period, so the
/// relay does not take it). If a crash loses the ids, or the relay takes a row the fast path is
/// still publishing (the broker took longer than the grace period), the row is published twice,
/// which the consumers' inboxes absorb: publication was and stays at least once.
final class OutboxSweeper: Service, Sendable {
    private let pending = Mutex<[Int64]>([])
    private let connection: PostgresConnection
    private let interval: Duration
    private let logger: Logger
    /// Ids kept at most; beyond it the oldest are forgotten (their rows are published again by the relay).
    static let capacity = 100_000

    init(connection: PostgresConnection, interval: Duration, logger: Logger) {
        self.connection = connection
        self.interval = interval
        self.logger = logger
    }

    /// Takes ids of rows the broker confirmed, for the next sweep.
    func confirmed(_ ids: [Int64]) {
        guard !ids.isEmpty else { return }
        pending.withLock { pending in
            pending += ids
            if pending.count > Self.capacity { pending.removeFirst(pending.count - Self.capacity) }
        }
    }

    /// How many confirmed rows wait to be deleted.
    var backlog: Int { pending.withLock(\.count) }

    func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            // A graceful shutdown ends the wait at once (then the last sweep runs).
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: self.interval) }
            await sweep(on: connection)
        }
        await sweep(on: connection)
    }

    /// Deletes every confirmed row noted so far, on `connection` (the sweeper's own, or the
    /// relay's before its last pass); on failure the ids wait for the next sweep.
    func sweep(on connection: PostgresConnection) async {
        let ids = pending.withLock { pending in
            defer { pending = [] }
            return pending
        }
        guard !ids.isEmpty else { return }
        do {
            try await connection.transaction { db in
                // If a crash loses the deletion, the relay publishes the rows again and the
                // consumers' inboxes absorb the duplicates: no need to wait for the disk.
                try RuntimeTables.commitWithoutWaitingForDisk(db)
                try RuntimeTables.deleteFromOutbox(ids, db)
            }
        } catch {
            confirmed(ids)
            logger.info("outbox sweep failed; trying again", metadata: ["error.message": "\(error)", "outbox.rows": "\(ids.count)"])
            if (error as? PostgresError)?.isConnectionProblem == true { try? await connection.reset() }
        }
    }
}
