import Foundation
import Logging
import Postgres
import ServiceLifecycle
import Synchronization
import Tracing

/// How a handler of this instance tells its deadline scheduler that a deadline it just committed
/// comes due before the next poll (e.g. a flight step with the time scale at 0), so it fires
/// within milliseconds instead of up to a poll interval later. The scheduler sleeps on it between
/// polls and is woken by a request, not by polling.
final class DeadlineAlarm: Sendable {
    private struct State {
        /// The earliest date asked for and not yet taken.
        var earliest: Date?
        /// The scheduler, while it sleeps.
        var sleeper: CheckedContinuation<Void, Never>?
        /// Counts requests, so a sleeper sees one that came after it last looked.
        var requests: UInt64 = 0
    }

    private let state = Mutex(State())

    /// Asks for a look at `date`.
    func request(_ date: Date) {
        let sleeper = state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.earliest = min(state.earliest ?? date, date)
            state.requests &+= 1
            defer { state.sleeper = nil }
            return state.sleeper
        }
        sleeper?.resume()
    }

    /// Why a wait ended.
    enum Wake: Equatable {
        /// The limit passed.
        case limit
        /// A requested date came (the request was taken).
        case request
        /// The waiting task was cancelled.
        case cancelled
    }

    /// Waits until `limit`, or until the earliest requested date if that comes first (the
    /// request is then taken), or until the task is cancelled; says which.
    @discardableResult
    func wait(until limit: ContinuousClock.Instant) async -> Wake {
        while !Task.isCancelled {
            let now = ContinuousClock.now
            guard now < limit else { return .limit }
            var wakeAt = limit
            let (earliest, seen) = state.withLock { ($0.earliest, $0.requests) }
            if let requested = earliest {
                let dueIn = requested.timeIntervalSinceNow
                if dueIn <= 0 {
                    state.withLock { $0.earliest = nil }
                    return .request
                }
                wakeAt = min(limit, now + .seconds(dueIn))
            }
            let target = wakeAt
            // Sleep until the target, or until a request (which may be sooner) wakes us.
            await withTaskGroup(of: Void.self) { group in
                group.addTask { try? await Task.sleep(until: target) }
                group.addTask { await self.nextRequest(after: seen) }
                await group.next()
                group.cancelAll()
            }
        }
        return .cancelled
    }

    /// Returns at the next `request` after the `seen`-th (at once if it came already), or on cancellation.
    private func nextRequest(after seen: UInt64) async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let resumeNow = state.withLock { state -> Bool in
                    if Task.isCancelled || state.requests != seen { return true }
                    state.sleeper = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let sleeper = state.withLock { state -> CheckedContinuation<Void, Never>? in
                defer { state.sleeper = nil }
                return state.sleeper
            }
            sleeper?.resume()
        }
    }
}

/// Fires due deadlines, several per transaction: it locks them (`FOR UPDATE SKIP LOCKED`), runs
/// the service's deadline handler of each, commits their effects and marks them fired, so a
/// deadline fires once even with several instances polling. If the shared transaction fails (a
/// handler's error, a deadlock), its deadlines fire again one per transaction, so that a failure
/// is recorded against the deadline that failed: it is tried again after the retry policy's
/// delays, then parked with its last error.
final class DeadlineScheduler: Service, Sendable {
    private let definition: ServiceDefinition
    private let connection: PostgresConnection
    private let outbox: OutboxPublisher
    private let interval: Duration
    private let retryPolicy: RetryPolicy
    private let alarm: DeadlineAlarm
    private let metrics: RuntimeMetrics
    private let tracer: RuntimeTracer
    private let logger: Logger
    /// At most this many due deadlines fire in one transaction.
    private let firingsPerTransaction: Int

    init(
        definition: ServiceDefinition, connection: PostgresConnection, outbox: OutboxPublisher, interval: Duration,
        retryPolicy: RetryPolicy, alarm: DeadlineAlarm, metrics: RuntimeMetrics, tracer: RuntimeTracer = .off,
        firingsPerTransaction: Int = 16, logger: Logger
    ) {
        self.tracer = tracer
        self.retryPolicy = retryPolicy
        self.definition = definition
        self.connection = connection
        self.outbox = outbox
        self.interval = interval
        self.alarm = alarm
        self.metrics = metrics
        self.firingsPerTransaction = max(1, firingsPerTransaction)
        self.logger = logger
    }

    /// At most this many fired deadlines' events wait to be published together.
    private static let publishBatch = 32

    func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            // Fire what is due; the events of several firings go out in one publish.
            var pending: [OutboxRow] = []
            while let rows = await fireDue() {
                pending += rows
                if pending.count >= Self.publishBatch {
                    await publish(pending)
                    pending = []
                }
            }
            await publish(pending)
            // Poll every `interval`, or sooner when this instance's alarm rings.
            let nextPoll = ContinuousClock.now + interval
            _ = await cancelWhenGracefulShutdown { await self.alarm.wait(until: nextPoll) }
        }
    }

    /// What one firing transaction came to.
    enum Firing {
        /// These deadlines fired and their handlers committed these outbox rows.
        case fired([OutboxRow])
        /// None is due (or the database is unavailable: the next poll tries again).
        case noneDue
        /// The transaction of this many deadlines failed and was rolled back.
        case failed(count: Int)
    }

    /// Fires up to `firingsPerTransaction` due deadlines together, or, if their transaction
    /// failed, the same number one per transaction; returns the outbox rows committed (perhaps
    /// none), or nil when none is due.
    func fireDue() async -> [OutboxRow]? {
        switch await fire(limit: firingsPerTransaction) {
        case .fired(let rows): return rows
        case .noneDue: return nil
        case .failed(let count):
            // One by one, the earliest due first; one that fails again is postponed by its
            // failure, so the next firing takes another.
            var rows: [OutboxRow] = []
            var firedAny = false
            loop: for _ in 0..<count {
                switch await fire(limit: 1) {
                case .fired(let more):
                    rows += more
                    firedAny = true
                case .noneDue: break loop
                case .failed: continue
                }
            }
            // None fired: wait for the next poll rather than fail again at once.
            return firedAny ? rows : nil
        }
    }

    /// Fires up to `limit` due deadlines in one transaction, in delivery order (as the event
    /// processor takes a shared transaction's events), so that two transactions locking several
    /// deliveries' rows lock them in the same order. A failure of a single firing is recorded
    /// against its deadline, unless the database ended the transaction to break a deadlock (or a
    /// serialization conflict): that is no failure of the handler, so the firing is done again at
    /// once (``ConflictRedo``; `redone` counts how often already).
    func fire(limit: Int, redone: Int = 0) async -> Firing {
        let definition = self.definition
        let logger = self.logger
        let tracer = self.tracer
        let attempted = Mutex<[(id: Int64, name: String)]>([])
        // The fired deadlines' spans, each continuing the trace of the event that scheduled it.
        let spans = Mutex<[any Span]>([])
        let endSpans = { (error: (any Error)?) in
            for span in spans.withLock({ $0 }) { tracer.end(span, error: error) }
        }
        do {
            let fired = try await connection.transaction { db -> [(name: String, outbox: PendingOutboxRows)] in
                let due = try RuntimeTables.lockDueDeadlines(limit: limit, db).inDeliveryOrder(\.deadline.deliveryId)
                attempted.withLock { $0 = due.map { ($0.id, $0.deadline.name) } }
                let emitted = try due.map { _, deadline, trace in
                    let started = tracer.startDeadline(deadline.name, deliveryId: "\(deadline.deliveryId)", scheduledFrom: trace)
                    if let started { spans.withLock { $0.append(started) } }
                    var logger = logger
                    logger[metadataKey: "delivery.id"] = "\(deadline.deliveryId)"
                    logger[metadataKey: "deadline.name"] = "\(deadline.name)"
                    let done = try UnitOfWork.run(
                        deliveryId: deadline.deliveryId, causationId: deadline.causationId, logger: logger, trace: tracer.carrier(of: started),
                        sharesTransaction: due.count > 1, db
                    ) { context in
                        if let handler = definition.deadlineHandlers[deadline.name] {
                            try handler(deadline, &context, db)
                        } else {
                            logger.warning("no handler for deadline; marking it fired")
                        }
                    }
                    return done.emitted
                }
                let outboxes = try RuntimeTables.recordFired(due.map(\.id), emitting: emitted, db)
                return zip(due, outboxes).map { ($0.deadline.name, $1) }
            }
            endSpans(nil)
            guard !fired.isEmpty else { return .noneDue }
            for firing in fired { metrics.deadlineFired(firing.name) }
            return .fired(try fired.flatMap { try $0.outbox.rows() })
        } catch let error as PostgresError where error.isConnectionProblem {
            endSpans(error)
            logger.info("deadline scheduler: database unavailable", metadata: ["error.message": "\(error)"])
            try? await connection.reset()
            return .noneDue
        } catch {
            endSpans(error)
            let attempted = attempted.withLock { $0 }
            if attempted.count == 1, let (id, name) = attempted.first {
                if ConflictRedo.again(after: error, redone: redone) {
                    logger.info("deadline's transaction ended by a conflict; firing it again", metadata: [
                        "deadline.name": "\(name)", "error.message": "\(error)", "transaction.redo": "\(redone + 1)",
                    ])
                    return await fire(limit: limit, redone: redone + 1)
                }
                await failed(id, name: name, error: error)
            }
            if attempted.count > 1 {
                logger.debug("a transaction of \(attempted.count) deadlines failed; firing them one by one", metadata: ["error.message": "\(error)"])
            }
            return .failed(count: max(attempted.count, 1))
        }
    }

    /// Records a failed attempt of deadline `id`: tried again after the retry policy's delay, or
    /// parked with the error once the policy allows no more attempts.
    private func failed(_ id: Int64, name: String, error: any Error) async {
        let policy = retryPolicy
        let parked = try? await connection.transaction { db -> Bool in
            let attempts = try RuntimeTables.recordDeadlineFailure(id, error: "\(error)", db)
            guard policy.allowsRetry(afterAttempt: attempts) else {
                try RuntimeTables.parkDeadline(id, db)
                return true
            }
            try RuntimeTables.postpone(id, by: policy.delay(afterAttempt: attempts), db)
            return false
        }
        if parked == true {
            logger.error("deadline handler failed every attempt; parked", metadata: ["deadline.name": "\(name)", "error.message": "\(error)"])
            metrics.parked(reason: "deadline-retries-exhausted")
        } else {
            logger.warning("deadline handler failed; trying again later", metadata: ["deadline.name": "\(name)", "error.message": "\(error)"])
        }
    }

    /// Publishes fired deadlines' committed events (the relay covers a failure).
    private func publish(_ rows: [OutboxRow]) async {
        await outbox.publishCommittedOrLeaveToRelay(rows, logger: logger)
    }
}
