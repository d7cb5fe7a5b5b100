import Contracts
import Foundation
import HistoryService
import Postgres
import SagaLoadMeasures

/// Waits for sagas to end, for every client at once: one poller asks history, with one query
/// for all the sagas in flight every few milliseconds, which have ended — history's stage is
/// terminal (``DeliveryStage/isTerminal``) and every compensation the outcome needs is logged
/// (``SagaEnd/compensationsLogged(_:)``) — and wakes their clients.
actor SagaEndWatcher {
    /// What a client learns when its wait is over.
    enum Ending: Sendable {
        /// The saga ended; when the poller saw it.
        case ended(seenAt: Date)
        /// It did not end within the timeout.
        case timedOut
    }

    /// A client waiting, since when, and how to wake it.
    private struct Waiter {
        var since: ContinuousClock.Instant
        var continuation: CheckedContinuation<Ending, Never>
    }

    private let database: PostgresConnection
    private let timeout: Duration
    private var waiting: [UUID: Waiter] = [:]
    /// The poller has stopped: later waits end at once.
    private var stopped = false
    /// Queries the poller sent (each one statement and one transaction).
    private(set) var polls = 0

    /// History's stages that end a saga.
    static let terminalStages = DeliveryStage.allCases.filter(\.isTerminal).map(\.rawValue)

    /// A watcher reading history through `database`; a saga not ended `timeout` after its wait began times out.
    init(database: PostgresConnection, timeout: Duration) {
        self.database = database
        self.timeout = timeout
    }

    /// Returns once the saga has ended or timed out (at once when the poller has stopped).
    func waitForEnd(of id: UUID) async -> Ending {
        guard !stopped else { return .timedOut }
        return await withCheckedContinuation { continuation in
            waiting[id] = Waiter(since: .now, continuation: continuation)
        }
    }

    /// Polls every `interval` until cancelled; then, or when a query fails (rethrown), every
    /// saga still waited for ends its wait with `.timedOut`.
    func run(interval: Duration) async throws {
        defer {
            stopped = true
            for waiter in waiting.values { waiter.continuation.resume(returning: .timedOut) }
            waiting = [:]
        }
        while !Task.isCancelled {
            if !waiting.isEmpty { try await poll() }
            try? await Task.sleep(for: interval)
        }
    }

    /// One query for every saga in flight; wakes those that ended or timed out.
    private func poll() async throws {
        let ids = Array(waiting.keys)
        polls += 1
        // The events only of the sagas whose stage is terminal, each through its index (a join
        // would hash the whole log on every poll).
        let rows = try await database.query("""
            SELECT s.delivery_id,
                   (SELECT string_agg(e.event_type, ',') FROM history.events e WHERE e.delivery_id = s.delivery_id) AS types
            FROM history.delivery_status s
            WHERE s.delivery_id = ANY($1) AND s.stage = ANY($2)
            """, [.uuidArray(ids), .textArray(Self.terminalStages)])
        let now = Date()
        for row in rows {
            let id = try row.decode(UUID.self, column: "delivery_id")
            let types = Set((try row.decode(String?.self, column: "types") ?? "").split(separator: ",").map { EventType(String($0)) })
            if SagaEnd.compensationsLogged(types), let waiter = waiting.removeValue(forKey: id) {
                waiter.continuation.resume(returning: .ended(seenAt: now))
            }
        }
        let deadline = ContinuousClock.now - timeout
        for (id, waiter) in waiting where waiter.since < deadline {
            waiting[id] = nil
            waiter.continuation.resume(returning: .timedOut)
        }
    }
}
