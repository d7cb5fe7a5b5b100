import AMQP
import Contracts
import DeliveryService
package import Foundation
import Postgres
import SagaScenarios

/// What one schedule did and what it found.
package struct ScheduleResult: Sendable {
    /// The plan that was run.
    package var plan: SchedulePlan
    /// The delivery it created (nil if the request was refused).
    package var deliveryId: UUID?
    /// Every decision and delivery, in order (printed when an invariant broke).
    package var log: [String] = []
    /// The history stage the saga ended in.
    package var stage: String?
    /// The invariants that did not hold, in plain words (empty: all held).
    package var violations: [String] = []
    /// How many deliveries the interposer made.
    package var steps = 0
    /// How many times a service was killed and started again during this schedule.
    package var kills = 0
    /// The customer cancelled.
    package var cancelled = false
    /// The pickup was made overdue while the delivery waited for it.
    package var overdue = false
    /// How many times the harness's clock brought a deadline forward.
    package var clockAdvances = 0
}

/// Runs one schedule against an interposed system: submits the plan's request, then delivers
/// the saga's events to their consumers one step at a time as the decider says, waiting after
/// each step until the consumer handled it and the saga is quiet (nothing left in any outbox, no
/// deadline due, everything published tapped), so that the same seed makes the same choices on
/// the same events. Ends when nothing waits and the saga is over; then checks the invariants.
struct ScheduleRun {
    let plan: SchedulePlan
    let options: ScheduleOptions
    let system: DeliverySystem
    let interposer: Interposer
    /// The longest a saga may take from its request to its end.
    let bound: Duration

    /// One event waiting to be delivered to one consumer.
    private struct Waiting {
        let message: AMQPDelivery
        let consumer: String
        var type: String { message.routingKey }
        var eventId: UUID? { message.properties.messageId.flatMap(UUID.init(uuidString:)) }
    }

    func run(database: PostgresConnection) async -> ScheduleResult {
        var result = ScheduleResult(plan: plan)
        do {
            try await drive(&result, database)
        } catch {
            result.violations.append("the schedule could not be run: \(error)")
        }
        return result
    }

    private func drive(_ result: inout ScheduleResult, _ database: PostgresConnection) async throws {
        let id = try await system.api.submit(plan.path.requestBody(now: Date().addingTimeInterval(plan.pickupAhead), tag: "schedule-\(plan.index)"))
        result.deliveryId = id
        result.log.append("submitted \(plan.path.rawValue) as \(id.uuidString.lowercased())")
        var decider = ScheduleDecider(plan: plan, options: options)
        var waiting: [Waiting] = []
        let deadline = ContinuousClock.now + bound
        while true {
            waiting += Self.deliveries(of: await interposer.take(for: id))
            if !result.cancelled, let step = plan.cancelAfterStep, result.steps >= step {
                result.cancelled = true
                let status = try await system.api.cancel(id)
                result.log.append("after step \(result.steps): the customer cancels (HTTP \(status))")
                try await settle(id, database)
                continue
            }
            if !result.overdue, let step = plan.overdueAfterStep, result.steps >= step, try await bringPickupOverdueForward(id, database) {
                result.overdue = true
                result.log.append("after step \(result.steps): the pickup is overdue (the delivery service's \(DeliveryService.pickupOverdueDeadline) deadline is due now)")
                try await settle(id, database)
                continue
            }
            guard !waiting.isEmpty else {
                try await settle(id, database)
                let late = await interposer.take(for: id)
                if late.isEmpty, try await hasEnded(id, database) { break }
                waiting += Self.deliveries(of: late)
                if waiting.isEmpty, let advanced = try await advanceClock(id, database) {
                    // Nothing to deliver and nothing due: only time passing moves the saga on.
                    result.clockAdvances += 1
                    result.log.append("after step \(result.steps): nothing to deliver; the clock moves on to \(advanced.service)'s \(advanced.name) deadline")
                    if advanced.service == Producer.delivery.rawValue, advanced.name == DeliveryService.pickupOverdueDeadline { result.overdue = true }
                    try await settle(id, database)
                    continue
                }
                if waiting.isEmpty {
                    guard ContinuousClock.now < deadline else {
                        result.violations.append("the saga did not end within \(bound) of its request (nothing left to deliver)")
                        break
                    }
                    try await Task.sleep(for: .milliseconds(10))
                }
                continue
            }
            guard ContinuousClock.now < deadline else {
                result.violations.append("the saga did not end within \(bound) of its request (\(waiting.count) deliveries still waiting)")
                break
            }
            let step = decider.next(waiting: waiting.count)
            if let service = step.kill {
                result.log.append("step \(result.steps): kill -9 \(service), start it again")
                try await system.restart(service)
                result.kills += 1
            }
            let item = waiting.remove(at: step.pick)
            try await interposer.deliver(item.message, to: item.consumer)
            if step.twin { try await interposer.deliver(item.message, to: item.consumer) }
            if step.duplicate { waiting.append(item) }
            result.log.append("step \(result.steps): \(item.type) → \(item.consumer)"
                + (step.twin ? ", twice at once" : "") + (step.duplicate ? ", again later" : ""))
            result.steps += 1
            guard let eventId = item.eventId else {
                result.violations.append("\(item.type) has no message id")
                continue
            }
            if try await !waitForHandled(eventId, by: item.consumer, database) {
                result.violations.append("\(item.consumer) did not handle \(item.type) (\(eventId.uuidString.lowercased())) within 30 s: parked or lost")
            }
            try await settle(id, database)
        }
        result.stage = try await SagaScheduleInvariants.stage(of: id, database)
        result.violations += try await SagaScheduleInvariants.check(
            deliveryId: id, plan: plan, cancelled: result.cancelled, overdue: result.overdue, database: database)
    }

    /// Makes the saga's earliest pending deadline (of any service) due now, as the clock reaching
    /// it would; which one, or nil when none is pending.
    private func advanceClock(_ id: UUID, _ database: PostgresConnection) async throws -> (service: String, name: String)? {
        guard let next = try await database.query(SagaScheduleInvariants.nextDeadlineSQL, [.uuid(id)]).first else { return nil }
        let service = try next.decode(String.self, column: "service")
        let name = try next.decode(String.self, column: "name")
        _ = try await database.query(
            "UPDATE \(service).deadlines SET fire_at = clock_timestamp() WHERE id = $1 RETURNING id", [.int(try next.decode(Int.self, column: "id"))])
        return (service, name)
    }

    /// Makes the delivery's pending `pickup-overdue` deadline due now, as the clock would a grace
    /// period after the pickup ETA; false when none is pending (not scheduled yet, or picked up).
    private func bringPickupOverdueForward(_ id: UUID, _ database: PostgresConnection) async throws -> Bool {
        try await !database.query("""
            UPDATE delivery.deadlines SET fire_at = clock_timestamp()
            WHERE delivery_id = $1 AND name = $2 AND fired_at IS NULL AND cancelled_at IS NULL AND parked_at IS NULL
            RETURNING id
            """, [.uuid(id), .text(DeliveryService.pickupOverdueDeadline)]).isEmpty
    }

    /// One waiting delivery per tapped message and consumer: the catalogue's consumers of its
    /// type and history (which takes every event).
    private static func deliveries(of messages: [AMQPDelivery]) -> [Waiting] {
        messages.flatMap { message in
            (EventCatalog.consumers(of: EventType(message.routingKey)).map(\.rawValue) + [Producer.history.rawValue])
                .map { Waiting(message: message, consumer: $0) }
        }
    }

    /// Waits until `service`'s inbox holds the event (handled once; its effects committed).
    private func waitForHandled(_ eventId: UUID, by service: String, _ database: PostgresConnection) async throws -> Bool {
        try await poll(for: .seconds(30)) {
            try await count("SELECT count(*) FROM \(service).inbox WHERE event_id = $1", [.uuid(eventId)], database) == 1
        }
    }

    /// Waits until nothing of the saga is in flight inside the services (no outbox row, no deadline
    /// due) and everything they published has been tapped.
    private func settle(_ id: UUID, _ database: PostgresConnection) async throws {
        let quiet = try await poll(for: .seconds(30)) {
            try await count(SagaScheduleInvariants.busySQL, [.uuid(id)], database) == 0
        }
        if !quiet { throw ScheduleHarnessError("delivery \(id) stayed busy (outbox rows or due deadlines) for 30 s") }
        try await interposer.barrier()
    }

    /// Whether the saga is over: history shows a terminal stage and no deadline is still pending.
    private func hasEnded(_ id: UUID, _ database: PostgresConnection) async throws -> Bool {
        guard let stage = try await SagaScheduleInvariants.stage(of: id, database), SagaScheduleInvariants.terminalStages.contains(stage) else {
            return false
        }
        return try await count(SagaScheduleInvariants.pendingDeadlinesSQL, [.uuid(id)], database) == 0
    }

    private func count(_ sql: String, _ parameters: [PostgresValue], _ database: PostgresConnection) async throws -> Int {
        try await database.query(sql, parameters)[0].decode(Int.self, at: 0)
    }

    /// Polls `condition` every few milliseconds until it holds (true) or `limit` passes (false).
    private func poll(for limit: Duration, _ condition: () async throws -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + limit
        while true {
            if try await condition() { return true }
            guard ContinuousClock.now < deadline else { return false }
            try await Task.sleep(for: .milliseconds(5))
        }
    }
}
