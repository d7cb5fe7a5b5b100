package import Choreography
import Contracts
import Foundation
import Logging
import Postgres

/// The drone service: keeps the fleet, allocates the nearest capable idle drone for each created
/// package, releases it when the saga is compensated or the delivery completed, and simulates the
/// flight with durable deadlines (`drone.picked-up`, then `drone.delivered`).
///
/// Tables (schema of the service): `drones` (the fleet: `idle` | `allocated` | `flying`) and
/// `allocations` (one row per delivery: `allocated` | `flying` | `delivered` | `released`, or
/// `failed` when no drone was found, or the tombstone `cancelled-before-allocation` when a
/// compensation came first). A partial unique index keeps any drone out of two active
/// allocations, and drones are taken with `FOR UPDATE SKIP LOCKED`, so parallel workers and
/// instances never share one. Each instance keeps the fleet's fixed part in memory
/// (``FleetSnapshot``), so an allocation ranks the drones without reading the fleet.
package enum DroneService {
    /// The service's definition for queue prefix `name` and schema `schema` (tests use unique ones).
    package static func definition(name: String = "drone", schema: String = "drone", settings: DroneSettings = DroneSettings()) throws -> ServiceDefinition {
        guard settings.timeScale.isFinite, settings.timeScale >= 0 else {
            throw SettingError(key: "DRONE_TIME_SCALE", "\(settings.timeScale) is invalid: it must be a number ≥ 0")
        }
        guard settings.fleet.droneCount <= FleetSpecification.maximumDroneCount else {
            throw SettingError(key: "DRONE_FLEET", "has \(settings.fleet.droneCount) drones; at most \(FleetSpecification.maximumDroneCount) are supported")
        }
        let simulation = FlightSimulation(timeScale: settings.timeScale)
        let drones = settings.fleet.drones(around: settings.home)
        var definition = ServiceDefinition(name: name, schema: try SQLIdentifier(schema), migrations: try migrations())
        // Its handlers lock their own delivery's rows (taken in delivery order) and take drones
        // without waiting (`SKIP LOCKED`; one that would wait asks for a transaction of its own):
        // several events can share a transaction. (A/B, 1000 sagas, 32 in flight, two runs each:
        // 10.7 → 8.7 transactions per saga, 105.0/109.7 → 117.8/112.7 sagas/s.)
        definition.eventsPerTransaction = 16
        let fleet = FleetSnapshot()

        definition.onStartup { db, logger in
            let inserted = try DroneTables.seed(drones, db)
            logger.info("fleet seeded", metadata: [
                "drone.fleet": "\(settings.fleet)", "drone.configured": "\(drones.count)", "drone.inserted": "\(inserted)",
            ])
        }
        definition.on(PackageCreated.self) { package, _, context, db in
            try DroneFlights.allocate(package, leadTime: settings.allocationLeadTime, fleet: fleet, context: &context, db)
        }
        definition.on(AccountRejected.self) { rejection, _, context, db in
            try DroneFlights.compensate(
                .accountRejected, because: "the account was rejected (\(rejection.reason.code.rawValue): \(rejection.reason.message))",
                context: &context, db)
        }
        definition.on(DeliverySchedulingFailed.self) { failure, _, context, db in
            try DroneFlights.compensate(
                .schedulingFailed, because: "scheduling failed (\(failure.reason.code.rawValue): \(failure.reason.message))",
                context: &context, db)
        }
        definition.on(DeliveryCancelled.self) { cancellation, _, context, db in
            try DroneFlights.compensate(
                .deliveryCancelled, because: "the delivery was cancelled (\(cancellation.reason.code.rawValue): \(cancellation.reason.message))",
                context: &context, db)
        }
        // The drone service decides whether a cancellation came before the pickup (it alone fires
        // the pickup): a drone still waiting is released (`drone.released`, `DELIVERY_CANCELLED`),
        // which the delivery service takes as the cancellation's go-ahead; a drone in the air
        // ignores it, and the delivery service refuses on `drone.picked-up`.
        definition.on(DeliveryCancellationRequested.self) { request, _, context, db in
            try DroneFlights.compensate(
                .deliveryCancelled, because: "a cancellation was requested (\(request.reason.code.rawValue): \(request.reason.message))",
                context: &context, db)
        }
        // The delivery service gave up on an overdue pickup: the same decision as a cancellation.
        definition.on(DeliveryPickupOverdue.self) { overdue, _, context, db in
            try DroneFlights.compensate(
                .deliveryCancelled, because: "the pickup is overdue (\(overdue.reason.code.rawValue): \(overdue.reason.message))",
                context: &context, db)
        }
        definition.on(DeliveryScheduled.self) { schedule, _, context, db in
            try DroneFlights.startFlight(schedule, simulation: simulation, context: &context, db)
        }
        definition.on(DeliveryCompleted.self) { completion, _, context, db in
            try DroneFlights.complete(completion, context: &context, db)
        }
        definition.onDeadline(FlightDeadline.allocate) { fired, context, db in
            try DroneFlights.allocateDeferred(fired, fleet: fleet, context: &context, db)
        }
        definition.onDeadline(FlightDeadline.pickup) { fired, context, db in
            try DroneFlights.pickUp(fired, simulation: simulation, context: &context, db)
        }
        definition.onDeadline(FlightDeadline.dropoff) { fired, context, db in
            try DroneFlights.dropOff(fired, context: &context, db)
        }
        return definition
    }

    /// The service's migrations, from its `Migrations` resource folder.
    package static func migrations() throws -> [Migration] {
        try Migration.load(from: .module)
    }
}
