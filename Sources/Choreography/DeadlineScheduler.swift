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

/// Fires due deadlines: each in its own transaction that locks the row (`FOR UPDATE SKIP
/// LOCKED`), runs the service's deadline handler, commits its effects and marks the deadline
/// fired, so a deadline fires once even with several instances polling. A handler that fails is
/// tried again after the retry policy's delays, then parked with its last error.
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

    init(
        definition: ServiceDefinition, connection: PostgresConnection, outbox: OutboxPublisher, interval: Duration,
        retryPolicy: RetryPolicy, alarm: DeadlineAlarm, metrics: RuntimeMetrics, tracer: RuntimeTracer = .off, logger: Logger
    ) {
        self.tracer = tracer
        self.retryPolicy = retryPolicy
        self.definition = definition
        self.connection = connection
        self.outbox = outbox
        self.interval = interval
        self.alarm = alarm
        self.metrics = metrics
        self.logger = logger
    }

    /// At most this many fired deadlines' events wait to be published together.
    private static let publishBatch = 32

    func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            // Fire what is due; the events of several firings go out in one publish.
            var pending: [OutboxRow] = []
            while let rows = await fireNext() {
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

    /// Fires one due deadline and returns the outbox rows its handler committed; nil when none
    /// is due (or the database is unavailable, or the handler failed).
    func fireNext() async -> [OutboxRow]? {
        let definition = self.definition
        let logger = self.logger
        let tracer = self.tracer
        let attempted = Mutex<(id: Int64, name: String)?>(nil)
        // The fired deadline's span, continuing the trace of the event that scheduled it.
        let span = Mutex<(any Span)?>(nil)
        do {
            let fired = try await connection.transaction { db -> (name: String, outbox: PendingOutboxRows)? in
                guard let (id, deadline, trace) = try RuntimeTables.lockDueDeadlines(limit: 1, db).first else { return nil }
                attempted.withLock { $0 = (id, deadline.name) }
                let started = tracer.startDeadline(deadline.name, deliveryId: "\(deadline.deliveryId)", scheduledFrom: trace)
                span.withLock { $0 = started }
                var logger = logger
                logger[metadataKey: "delivery.id"] = "\(deadline.deliveryId)"
                logger[metadataKey: "deadline.name"] = "\(deadline.name)"
                let done = try UnitOfWork.run(
                    deliveryId: deadline.deliveryId, causationId: deadline.causationId, logger: logger, trace: tracer.carrier(of: started), db
                ) { context in
                    if let handler = definition.deadlineHandlers[deadline.name] {
                        try handler(deadline, &context, db)
                    } else {
                        logger.warning("no handler for deadline; marking it fired")
                    }
                }
                try RuntimeTables.markFired(id, db)
                return (deadline.name, done.outbox)
            }
            tracer.end(span.withLock { $0 })
            guard let fired else { return nil }
            metrics.deadlineFired(fired.name)
            return try fired.outbox.rows()
        } catch let error as PostgresError where error.isConnectionProblem {
            tracer.end(span.withLock { $0 }, error: error)
            logger.info("deadline scheduler: database unavailable", metadata: ["error.message": "\(error)"])
            try? await connection.reset()
            return nil
        } catch {
            tracer.end(span.withLock { $0 }, error: error)
            if let (id, name) = attempted.withLock({ $0 }) { await failed(id, name: name, error: error) }
            return nil
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
