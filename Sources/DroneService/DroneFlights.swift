import Choreography
import Contracts
import Foundation
import Logging
import Postgres
import UUIDText

/// The drone service's handlers: allocation, compensation, flight simulation and completion.
/// Each runs inside the runtime's transaction for one event or deadline and is a no-op on a
/// duplicate or on an event that no longer applies.
enum DroneFlights {
    /// The message of an injected forward failure.
    static let injectedFaultMessage = "injected fault (FAULT_FORWARD_FAILURE_PROBABILITY)"

    // MARK: Allocation

    /// `package.created`: reserves the nearest idle drone with the payload and the range and
    /// emits `drone.allocated`, or emits `drone.allocation-failed`. For a pickup more than the
    /// lead time ahead, it only records a deferred allocation and the `allocate-drone` deadline,
    /// due a lead time before the pickup. Nothing when the delivery was compensated already
    /// (tombstone) or already has an outcome.
    static func allocate(
        _ package: PackageCreated, leadTime: TimeInterval, fleet: FleetSnapshot, context: inout HandlerContext,
        _ db: isolated PostgresConnection
    ) throws {
        let deliveryId = context.deliveryId
        try DroneTables.lockDelivery(deliveryId, db)
        if let existing = try DroneTables.allocation(for: deliveryId, db) {
            context.logger.info("package.created ignored: the delivery already has an allocation outcome", metadata: [
                "allocation.state": "\(existing.state.rawValue)", "drone.id": "\(existing.droneId ?? "-")",
            ])
            return
        }
        let allocateAt = AllocationLeadTime.allocationTime(pickupTime: package.pickupTime, now: Date(), lead: leadTime)
        if allocateAt > Date() {
            let route = DeliveryRoute(pickup: package.pickupLocation, dropoff: package.dropoffLocation)
            try DroneTables.recordDeferred(deliveryId, packageId: package.packageId, route: route, deadline: package.deadline, db)
            context.scheduleDeadline(FlightDeadline.allocate, at: allocateAt, payload: try JSONValueEncoder().encode(package))
            context.logger.info("allocation deferred: the pickup is more than the lead time ahead", metadata: ["allocate.at": "\(allocateAt)"])
            return
        }
        try allocateNow(package, fleet: fleet, context: &context, db)
    }

    /// Deadline `allocate-drone`: the deferred allocation's time has come (unless it was
    /// compensated meanwhile, which cancels this deadline under its lock).
    static func allocateDeferred(
        _ fired: FiredDeadline, fleet: FleetSnapshot, context: inout HandlerContext, _ db: isolated PostgresConnection
    ) throws {
        guard let deferred = try DroneTables.allocation(for: fired.deliveryId, db), deferred.state == .deferred else {
            context.logger.info("allocate-drone ignored: the allocation is no longer deferred")
            return
        }
        let package = try JSONValueDecoder().decode(PackageCreated.self, from: fired.payload)
        try DroneTables.removeDeferred(fired.deliveryId, db)
        try allocateNow(package, fleet: fleet, context: &context, db)
    }

    /// Reserves a drone for `package` now, or refuses (the delivery's lock and outcome check are the caller's).
    ///
    /// The drones are ranked from the fleet snapshot (no read of the fleet) and the nearest idle
    /// one is taken in one statement. Only when none of them is idle is the whole fleet read
    /// again, with its states: the ranking is then redone over it (drones seeded since the
    /// snapshot count too), and the refusal says why.
    private static func allocateNow(
        _ package: PackageCreated, fleet: FleetSnapshot, context: inout HandlerContext, _ db: isolated PostgresConnection
    ) throws {
        let deliveryId = context.deliveryId
        let route = DeliveryRoute(pickup: package.pickupLocation, dropoff: package.dropoffLocation)
        if context.forwardStepShouldFail {
            try refuse(package, route: route, .noDroneAvailable, injectedFaultMessage, context: &context, db)
            return
        }
        let weightKg = package.packageInfo.weightKg
        var choice = DroneAllocator.choose(among: try fleet.fleet(db), weightKg: weightKg, route: route)
        var chosen = try reserveNearest(choice, context: context, db)
        if chosen == nil, case .candidates = choice {
            choice = DroneAllocator.choose(among: try fleet.refreshed(db), weightKg: weightKg, route: route)
            chosen = try reserveNearest(choice, context: context, db)
        }
        switch (choice, chosen) {
        case (.unavailable(let code, let message), _):
            try refuse(package, route: route, code, message, context: &context, db)
        case (.candidates(let candidates), nil):
            try refuse(
                package, route: route, .noDroneAvailable, DroneAllocator.busyMessage(capableCount: candidates.count),
                context: &context, db)
        case (.candidates, let chosen?):
            let times = FlightTimes.estimate(
                now: Date(), pickupTime: package.pickupTime, home: chosen.drone.home, route: route,
                speedKmh: chosen.drone.model.speedKmh)
            try DroneTables.insert(NewAllocation(
                deliveryId: deliveryId, droneId: chosen.drone.droneId, packageId: package.packageId, times: times,
                route: route, deliveryDeadline: package.deadline), db)
            try context.emit(DroneAllocated(
                droneId: chosen.drone.droneId, packageId: package.packageId, pickupEta: times.pickupEta,
                dropoffEta: times.dropoffEta, dropoffLocation: package.dropoffLocation, deadline: package.deadline))
            context.logger.info("drone allocated", metadata: [
                "drone.id": "\(chosen.drone.droneId)", "distance.km": "\(chosen.distanceToPickupKm)",
                "range.needed.km": "\(chosen.rangeNeededKm)",
            ])
        }
    }

    /// Takes the nearest idle drone among `choice`'s candidates. Another transaction may be
    /// taking one right now: its row is locked, so it is skipped for the next nearest. If every
    /// idle one was skipped (none is idle, or the idle ones are being taken), a locked one may
    /// yet come free (its taker rolled back): the list is tried again, waiting for each lock.
    /// Only in a transaction of its own, which holds no drone lock then, so the wait cannot be
    /// part of a cycle; a transaction shared with other deliveries' events may hold one, so there
    /// this asks for a transaction of its own instead.
    private static func reserveNearest(_ choice: DroneChoice, context: HandlerContext, _ db: isolated PostgresConnection) throws -> RankedDrone? {
        guard case .candidates(let candidates) = choice else { return nil }
        let ranked = candidates.map(\.drone.droneId)
        let deliveryId = context.deliveryId
        var taken = try DroneTables.reserveFirstIdle(of: ranked, for: deliveryId, waitingForLocks: false, db)
        if taken == nil, try DroneTables.anyIdle(of: ranked, db) {
            if context.sharesTransaction { throw OwnTransactionNeeded("no capable drone is idle and unlocked; waiting for one") }
            taken = try DroneTables.reserveFirstIdle(of: ranked, for: deliveryId, waitingForLocks: true, db)
        }
        return taken.flatMap { taken in candidates.first { $0.drone.droneId == taken } }
    }

    /// Records that no drone was allocated and emits `drone.allocation-failed`.
    private static func refuse(
        _ package: PackageCreated, route: DeliveryRoute, _ code: DroneAllocationFailed.Code, _ message: String,
        context: inout HandlerContext, _ db: isolated PostgresConnection
    ) throws {
        try DroneTables.recordFailure(context.deliveryId, packageId: package.packageId, route: route, code: code, db)
        try context.emit(DroneAllocationFailed(packageId: package.packageId, reason: Reason(code, message)))
        context.logger.info("no drone allocated", metadata: ["reason.code": "\(code.rawValue)", "reason.message": "\(message)"])
    }

    // MARK: Compensation

    /// `account.rejected`, `delivery.scheduling-failed`, `delivery.cancellation-requested`,
    /// `delivery.pickup-overdue`, `delivery.cancelled`: releases a drone that is allocated and not yet picked up (emits
    /// `drone.released`), leaves a tombstone when nothing was allocated yet, and does nothing when
    /// the allocation already ended or the drone is in the air. Runs under the delivery's lock and
    /// its pending flight deadlines' locks, so it and the pickup never both happen.
    static func compensate(
        _ reason: DroneReleased.Code, because cause: String, context: inout HandlerContext, _ db: isolated PostgresConnection
    ) throws {
        let deliveryId = context.deliveryId
        try DroneTables.lockDelivery(deliveryId, db)
        try DroneTables.lockPendingFlightDeadlines(deliveryId, db)
        guard let allocation = try DroneTables.allocation(for: deliveryId, db) else {
            try DroneTables.recordTombstone(deliveryId, reason: reason, db)
            context.logger.info("compensation before allocation: tombstone recorded", metadata: ["reason.code": "\(reason.rawValue)"])
            return
        }
        switch allocation.state {
        case .deferred:
            try DroneTables.cancelDeferred(deliveryId, reason: reason, db)
            context.cancelDeadline(FlightDeadline.allocate)
            context.logger.info("deferred allocation cancelled before any drone was taken", metadata: ["reason.code": "\(reason.rawValue)"])
        case .allocated:
            guard let droneId = allocation.droneId else { return }
            try DroneTables.release(allocation, droneId: droneId, reason: reason, db)
            context.cancelDeadline(FlightDeadline.pickup)
            context.cancelDeadline(FlightDeadline.dropoff)
            try context.emit(DroneReleased(droneId: droneId, reason: Reason(reason, "Drone \(droneId) released: \(cause).")))
            context.logger.info("drone released (compensation)", metadata: ["drone.id": "\(droneId)", "reason.code": "\(reason.rawValue)"])
        case .flying, .delivered:
            // The package is on board or delivered: the pickup came first, so a cancellation is
            // refused (the delivery service does so on drone.picked-up) and the flight goes on.
            context.logger.info("compensation ignored: the drone already picked the package up", metadata: [
                "drone.id": "\(allocation.droneId ?? "-")", "allocation.state": "\(allocation.state.rawValue)",
                "reason.code": "\(reason.rawValue)",
            ])
        case .released, .failed, .cancelledBeforeAllocation:
            context.logger.info("compensation ignored: nothing allocated to release", metadata: [
                "allocation.state": "\(allocation.state.rawValue)", "reason.code": "\(reason.rawValue)",
            ])
        }
    }

    // MARK: Flight

    /// `delivery.scheduled`: schedules the pickup at `now + (pickupEta − now)·scale` if the drone
    /// is still allocated to the delivery.
    static func startFlight(
        _ schedule: DeliveryScheduled, simulation: FlightSimulation, context: inout HandlerContext, _ db: isolated PostgresConnection
    ) throws {
        try DroneTables.lockDelivery(context.deliveryId, db)
        guard let allocation = try DroneTables.allocation(for: context.deliveryId, db), allocation.state == .allocated,
              let droneId = allocation.droneId, let times = allocation.times
        else {
            context.logger.info("delivery.scheduled ignored: no drone is waiting for this delivery")
            return
        }
        if droneId != schedule.droneId {
            context.logger.info("delivery.scheduled names another drone; flying the allocated one", metadata: [
                "drone.id": "\(droneId)", "drone.scheduled": "\(schedule.droneId)",
            ])
        }
        let pickupAt = simulation.pickupDate(now: Date(), times: times)
        context.scheduleDeadline(FlightDeadline.pickup, at: pickupAt, payload: deadlinePayload(droneId, allocation.packageId))
        context.logger.info("flight scheduled", metadata: ["drone.id": "\(droneId)", "pickup.at": "\(pickupAt)"])
    }

    /// Deadline `flight-pickup`: the drone reached the pickup point; if it is still allocated,
    /// it is now flying: emits `drone.picked-up` and schedules the drop-off.
    static func pickUp(
        _ fired: FiredDeadline, simulation: FlightSimulation, context: inout HandlerContext, _ db: isolated PostgresConnection
    ) throws {
        // The allocation's checks say an allocated (now flying) row names its drone, package and times.
        guard let allocation = try DroneTables.pickUp(fired.deliveryId, db),
              let droneId = allocation.droneId, let packageId = allocation.packageId, let times = allocation.times
        else {
            context.logger.info("flight-pickup ignored: the allocation is no longer waiting for pickup")
            return
        }
        try context.emit(DronePickedUp(droneId: droneId, packageId: packageId, dropoffEta: times.dropoffEta))
        let dropoffAt = simulation.dropoffDate(now: Date(), times: times)
        context.scheduleDeadline(FlightDeadline.dropoff, at: dropoffAt, payload: deadlinePayload(droneId, packageId))
        context.logger.info("package picked up", metadata: ["drone.id": "\(droneId)", "dropoff.at": "\(dropoffAt)"])
    }

    /// Deadline `flight-dropoff`: the drone reached the drop-off point; if it is flying this
    /// delivery, the allocation is delivered and `drone.delivered` is emitted.
    static func dropOff(_ fired: FiredDeadline, context: inout HandlerContext, _ db: isolated PostgresConnection) throws {
        guard let allocation = try DroneTables.dropOff(fired.deliveryId, db),
              let droneId = allocation.droneId, let packageId = allocation.packageId, let dropoff = allocation.dropoff
        else {
            context.logger.info("flight-dropoff ignored: the drone is not flying this delivery")
            return
        }
        try context.emit(DroneDelivered(droneId: droneId, packageId: packageId, dropoffLocation: dropoff))
        context.logger.info("package delivered", metadata: ["drone.id": "\(droneId)"])
    }

    /// `delivery.completed`: the drone goes back to the pool (`drone.released`,
    /// `DELIVERY_COMPLETED`). Nothing when it was released already.
    static func complete(_ completion: DeliveryCompleted, context: inout HandlerContext, _ db: isolated PostgresConnection) throws {
        let deliveryId = context.deliveryId
        try DroneTables.lockDelivery(deliveryId, db)
        try DroneTables.lockPendingFlightDeadlines(deliveryId, db)
        guard let allocation = try DroneTables.allocation(for: deliveryId, db), let droneId = allocation.droneId,
              [.allocated, .flying, .delivered].contains(allocation.state)
        else {
            context.logger.info("delivery.completed ignored: no drone holds this delivery")
            return
        }
        if allocation.state != .delivered {
            context.logger.info("delivery.completed before the simulated drop-off; releasing the drone", metadata: [
                "allocation.state": "\(allocation.state.rawValue)",
            ])
        }
        try DroneTables.release(allocation, droneId: droneId, reason: .deliveryCompleted, db)
        // A delivered allocation's flight deadlines have both fired (the drop-off's handler marked
        // it delivered, after the pickup's): there is nothing left to cancel.
        if allocation.state != .delivered {
            context.cancelDeadline(FlightDeadline.pickup)
            context.cancelDeadline(FlightDeadline.dropoff)
        }
        try context.emit(DroneReleased(
            droneId: droneId, reason: Reason(.deliveryCompleted, "Drone \(droneId) is back in the pool: the delivery completed.")))
        context.logger.info("drone released (delivery completed)", metadata: ["drone.id": "\(droneId)"])
    }

    private static func deadlinePayload(_ droneId: String, _ packageId: UUID?) -> JSONValue {
        var payload: [String: JSONValue] = ["droneId": .string(droneId)]
        if let packageId { payload["packageId"] = .string(packageId.lowercaseText) }
        return .object(payload)
    }
}
