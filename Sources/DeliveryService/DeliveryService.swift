package import Choreography
import Contracts
import Foundation
import Logging
import Postgres

/// The delivery service: joins the account branch (`account.validated`) and the drone branch
/// (`drone.allocated`) in either order, checks the no-fly zones and the deadline, and schedules
/// the delivery (`delivery.scheduled`) or fails it (`delivery.scheduling-failed`); follows the
/// flight to `delivery.completed`; answers customer cancellations (`delivery.cancelled` before
/// pickup, `delivery.cancellation-refused` after). Once scheduled, whether the pickup came first is
/// the drone service's fact: a cancellation then waits for `drone.released` or `drone.picked-up`.
/// If the join is not complete within the join timeout of the request (or of the allocation time,
/// for a far-off pickup), the `join-timeout` deadline fails the delivery with `JOIN_TIMED_OUT`.
/// If the drone has not picked the package up a grace period after its pickup ETA, the
/// `pickup-overdue` deadline asks the drone service to release it (`delivery.pickup-overdue`), so
/// no saga holds a drone that never flies.
package enum DeliveryService {
    /// The name of the durable deadline that ends a join that does not complete in time.
    package static let joinTimeoutDeadline = "join-timeout"
    /// The name of the durable deadline that gives up on a pickup overdue by its grace period.
    package static let pickupOverdueDeadline = "pickup-overdue"
    /// The deadlines a transition may stop, locked before the delivery's row.
    private static let deadlines = [joinTimeoutDeadline, pickupOverdueDeadline]

    /// The service's definition for queue prefix `name` and schema `schema` (tests use unique ones).
    package static func definition(
        name: String = "delivery", schema: String = "delivery", settings: DeliverySettings = DeliverySettings()
    ) throws -> ServiceDefinition {
        var definition = ServiceDefinition(name: name, schema: try SQLIdentifier(schema), migrations: try migrations())
        // Its handlers lock only their own delivery's rows (taken in delivery order): several events can share a transaction.
        definition.eventsPerTransaction = 16
        let rules = SchedulingRules(noFlyZones: settings.noFlyZones)

        definition.on(DeliveryRequested.self) { request, received, context, db in
            try apply(received.type, settings: settings, &context, db) { record, _ in
                record.requested(pickupTime: request.pickupTime, now: Date(), leadTime: settings.allocationLeadTime)
            }
        }
        definition.on(AccountValidated.self) { validated, received, context, db in
            try apply(received.type, settings: settings, &context, db) { record, fault in
                record.accountValidated(ownerId: validated.ownerId, rules: rules, injectedFault: fault)
            }
        }
        definition.on(DroneAllocated.self) { allocated, received, context, db in
            try apply(received.type, settings: settings, &context, db) { record, fault in
                record.droneAllocated(DroneAssignment(allocated), rules: rules, injectedFault: fault)
            }
        }
        definition.on(AccountRejected.self) { rejected, received, context, db in
            try apply(received.type, settings: settings, &context, db) { record, _ in
                record.branchFailed(.accountRejected, ownerId: rejected.ownerId, detail: detail(rejected.reason))
            }
        }
        definition.on(PackageRejected.self) { rejected, received, context, db in
            try apply(received.type, settings: settings, &context, db) { record, _ in
                record.branchFailed(.packageRejected, detail: detail(rejected.reason))
            }
        }
        definition.on(DroneAllocationFailed.self) { failed, received, context, db in
            try apply(received.type, settings: settings, &context, db) { record, _ in
                record.branchFailed(.droneAllocationFailed, detail: detail(failed.reason))
            }
        }
        definition.on(DronePickedUp.self) { pickedUp, received, context, db in
            try apply(received.type, settings: settings, &context, db) { record, _ in
                record.pickedUp(dropoffEta: pickedUp.dropoffEta)
            }
        }
        definition.on(DroneDelivered.self) { delivered, received, context, db in
            try apply(received.type, settings: settings, &context, db) { record, _ in
                record.delivered(droneId: delivered.droneId, packageId: delivered.packageId)
            }
        }
        definition.on(DroneReleased.self) { released, received, context, db in
            try apply(received.type, settings: settings, &context, db) { record, _ in
                record.droneReleased(released.reason.code)
            }
        }
        definition.on(DeliveryCancellationRequested.self) { request, received, context, db in
            try apply(received.type, settings: settings, &context, db) { record, _ in
                record.cancellationRequested(request.reason)
            }
        }
        definition.onDeadline(joinTimeoutDeadline) { _, context, db in
            try apply(joinTimeoutDeadline, settings: settings, &context, db) { record, _ in
                record.joinTimedOut(afterSeconds: settings.joinTimeoutSeconds)
            }
        }
        definition.onDeadline(pickupOverdueDeadline) { _, context, db in
            try apply(pickupOverdueDeadline, settings: settings, &context, db) { record, _ in
                record.pickupOverdue(graceSeconds: settings.pickupGrace)
            }
        }
        return definition
    }

    /// The service's migrations, from its `Migrations` resource folder.
    package static func migrations() throws -> [Migration] {
        try Migration.load(from: .module)
    }

    /// `CODE: message` of a branch's failure, kept as the delivery's failure message.
    private static func detail<Code>(_ reason: Reason<Code>) -> String { "\(reason.code.rawValue): \(reason.message)" }

    /// Locks the delivery's row, runs one transition of its state machine, saves what changed,
    /// starts or stops the join timeout and emits what the transition asks for.
    private static func apply(
        _ input: String, settings: DeliverySettings, _ context: inout HandlerContext, _ db: isolated PostgresConnection,
        _ transition: (inout DeliveryRecord, _ injectedFault: Bool) -> DeliveryReaction
    ) throws {
        // An event locks the pending deadlines it may stop before the delivery's row, as a
        // firing deadline does (a deadline's handler holds its own deadline's lock already).
        let before = try DeliveryTable.lock(context.deliveryId, pendingDeadlines: deadlines.contains(input) ? [] : deadlines, db)
        var record = before
        let reaction = transition(&record, context.forwardStepShouldFail)
        if record != before { try DeliveryTable.save(record, db) }
        if let from = reaction.joinTimeoutFrom {
            context.postponeDeadline(joinTimeoutDeadline, to: from.addingTimeInterval(settings.joinTimeoutSeconds))
        } else if reaction.startJoinTimeout {
            context.scheduleDeadline(joinTimeoutDeadline, at: Date().addingTimeInterval(settings.joinTimeoutSeconds))
        }
        if reaction.stopJoinTimeout { context.cancelDeadline(joinTimeoutDeadline) }
        if let eta = reaction.pickupDueBy {
            context.scheduleDeadline(pickupOverdueDeadline, at: eta.addingTimeInterval(settings.pickupGrace))
        }
        if reaction.stopPickupDeadline { context.cancelDeadline(pickupOverdueDeadline) }
        var emitted: [String] = []
        for emission in reaction.emissions {
            switch emission {
            case .scheduled(let event):
                try context.emit(event)
                emitted.append(DeliveryScheduled.eventType.rawValue)
            case .schedulingFailed(let event):
                try context.emit(event)
                emitted.append("\(DeliverySchedulingFailed.eventType) \(event.reason.code.rawValue)")
            case .completed(let event):
                try context.emit(event)
                emitted.append(DeliveryCompleted.eventType.rawValue)
            case .cancelled(let event):
                try context.emit(event)
                emitted.append(DeliveryCancelled.eventType.rawValue)
            case .cancellationRefused(let event):
                try context.emit(event)
                emitted.append("\(DeliveryCancellationRefused.eventType) \(event.reason.code.rawValue)")
            case .pickupOverdue(let event):
                try context.emit(event)
                emitted.append(DeliveryPickupOverdue.eventType.rawValue)
            }
        }
        let level: Logger.Level = record == before && reaction == .none ? .debug : .info
        context.logger.log(level: level, "delivery \(input) handled", metadata: [
            "delivery.state.before": "\(before.state.rawValue)", "delivery.state": "\(record.state.rawValue)",
            "delivery.emitted": "\(emitted.isEmpty ? "nothing" : emitted.joined(separator: ", "))",
        ])
    }
}
