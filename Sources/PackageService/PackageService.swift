package import Choreography
import Contracts
import Foundation
import Logging
import Postgres

/// The package service: on `delivery.requested` it checks the package against the weight rules
/// and registers it (`package.created`) or refuses it (`package.rejected`); on a failure of the
/// saga (`account.rejected`, `drone.allocation-failed`, `delivery.scheduling-failed`,
/// `delivery.cancelled`) it cancels the package (`package.cancelled`), or leaves a tombstone if
/// the failure came first; on `delivery.completed` it marks the package delivered.
///
/// Tables (schema `package`): `packages` and `delivery_outcomes` (one row per delivery, claimed
/// first by every handler, so events of one delivery handled at once serialise on it).
package enum PackageService {
    /// The service's definition for queue prefix `name` and schema `schema` (tests use unique ones).
    package static func definition(
        name: String = "package", schema: String = "package", settings: PackageSettings = PackageSettings()
    ) throws -> ServiceDefinition {
        var definition = ServiceDefinition(name: name, schema: try SQLIdentifier(schema), migrations: try migrations())
        // Its handlers lock only their own delivery's rows (taken in delivery order): several events can share a transaction.
        definition.eventsPerTransaction = 16
        let limits = settings.limits
        definition.on(DeliveryRequested.self) { request, _, context, db in
            try PackageRegistration.register(request, limits: limits, context: &context, db: db)
        }
        definition.on(AccountRejected.self) { event, _, context, db in
            try PackageRegistration.cancel(
                .accountRejected, "The account was rejected (\(event.reason.code.rawValue)).", context: &context, db: db)
        }
        definition.on(DroneAllocationFailed.self) { event, _, context, db in
            try PackageRegistration.cancel(
                .droneAllocationFailed, "No drone was allocated (\(event.reason.code.rawValue)).", context: &context, db: db)
        }
        definition.on(DeliverySchedulingFailed.self) { event, _, context, db in
            try PackageRegistration.cancel(
                .schedulingFailed, "The delivery could not be scheduled (\(event.reason.code.rawValue)).", context: &context, db: db)
        }
        definition.on(DeliveryCancelled.self) { event, _, context, db in
            try PackageRegistration.cancel(
                .deliveryCancelled, "The delivery was cancelled (\(event.reason.code.rawValue)).", context: &context, db: db)
        }
        definition.on(DeliveryCompleted.self) { _, _, context, db in
            try PackageRegistration.markDelivered(context: &context, db: db)
        }
        return definition
    }

    /// The service's migrations, from its `Migrations` resource folder.
    package static func migrations() throws -> [Migration] {
        try Migration.load(from: .module)
    }
}

/// Settings of the package service, read through ``ServiceSettings``. Keys (kilograms, each a number > 0)
/// and defaults:
/// - `PACKAGE_MAX_WEIGHT_SMALL_KG` (`2`), `PACKAGE_MAX_WEIGHT_MEDIUM_KG` (`10`),
///   `PACKAGE_MAX_WEIGHT_LARGE_KG` (`25`) — the heaviest package of each size class;
/// - `PACKAGE_MAX_PAYLOAD_KG` (`25`) — the largest drone's payload; anything heavier is `OVERWEIGHT`.
package struct PackageSettings: Sendable {
    /// The weight limits.
    package var limits: PackageLimits

    /// Settings; the defaults are the README's.
    package init(limits: PackageLimits = PackageLimits()) {
        self.limits = limits
    }

    /// The settings of the package service in `environment` (see ``init(reading:)``).
    package static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws(SettingError) -> PackageSettings {
        try PackageSettings(reading: ServiceSettings(service: "package", environment: environment))
    }

    /// Reads the settings from `settings`; throws ``SettingError`` for a value that is not a
    /// number greater than 0.
    package init(reading settings: ServiceSettings) throws(SettingError) {
        func kilograms(_ key: String, _ fallback: Double) throws(SettingError) -> Double {
            try settings.parsed(key, "must be a number of kilograms greater than 0") { text in
                Double(text).flatMap { $0.isFinite && $0 > 0 ? $0 : nil }
            } ?? fallback
        }
        let defaults = PackageLimits()
        self.init(limits: PackageLimits(
            smallMaxKg: try kilograms("PACKAGE_MAX_WEIGHT_SMALL_KG", defaults.smallMaxKg),
            mediumMaxKg: try kilograms("PACKAGE_MAX_WEIGHT_MEDIUM_KG", defaults.mediumMaxKg),
            largeMaxKg: try kilograms("PACKAGE_MAX_WEIGHT_LARGE_KG", defaults.largeMaxKg),
            maxPayloadKg: try kilograms("PACKAGE_MAX_PAYLOAD_KG", defaults.maxPayloadKg)))
    }
}

/// The handlers' work on `packages` and `delivery_outcomes`. Every handler first claims the
/// delivery's outcome row with `INSERT … ON CONFLICT DO NOTHING`: if another transaction holds
/// it uncommitted, the insert waits for that transaction, so of two events of one delivery handled
/// at once, exactly one claims the row and the other acts on what the first committed.
enum PackageRegistration {
    /// `delivery.requested`: create the package, or reject it, unless the delivery already has an outcome.
    static func register(
        _ request: DeliveryRequested, limits: PackageLimits, context: inout HandlerContext, db: isolated PostgresConnection
    ) throws {
        let info = request.packageInfo
        let rejection: Reason<PackageRejected.Code>?
        if context.forwardStepShouldFail {
            rejection = Reason(.invalidSize, PackageRules.injectedFaultMessage)
        } else if let code = PackageRules.check(info, limits: limits) {
            rejection = Reason(code, PackageRules.message(for: code, info, limits: limits))
        } else {
            rejection = nil
        }

        // A valid package is registered by the statement that claims the delivery.
        let packageId = UUID.random()
        let registration = rejection == nil ? NewPackage(packageId: packageId, ownerId: request.ownerId, info: info) : nil
        guard try claim(
            context.deliveryId, state: rejection == nil ? "created" : "rejected", reasonCode: rejection?.code.rawValue,
            registering: registration, db)
        else {
            let existing = try outcome(of: context.deliveryId, db)
            context.logger.info(
                existing == "cancelled-before-creation"
                    ? "delivery was cancelled or failed before its request arrived; creating nothing"
                    : "delivery already handled; creating nothing",
                metadata: ["package.outcome": "\(existing ?? "none")"])
            return
        }

        if let rejection {
            context.logger.info("package rejected", metadata: ["reason.code": "\(rejection.code.rawValue)"])
            try context.emit(PackageRejected(packageInfo: info, reason: rejection))
            return
        }
        context.logger.info("package created", metadata: ["package.id": "\(packageId)"])
        try context.emit(PackageCreated(
            packageId: packageId, packageInfo: info, pickupLocation: request.pickupLocation,
            dropoffLocation: request.dropoffLocation, pickupTime: request.pickupTime, deadline: request.deadline,
            expedited: request.expedited))
    }

    /// A compensation: cancel the active package, or leave a tombstone if there is no outcome yet.
    static func cancel(
        _ code: PackageCancelled.Code, _ message: String, context: inout HandlerContext, db: isolated PostgresConnection
    ) throws {
        if try claim(context.deliveryId, state: "cancelled-before-creation", reasonCode: code.rawValue, db) {
            context.logger.info("no package yet; tombstone left so a late request creates nothing", metadata: ["reason.code": "\(code.rawValue)"])
            return
        }
        let cancelled = try db.query(
            """
            UPDATE packages SET state = 'cancelled', cancel_reason = $2, updated_at = now()
            WHERE delivery_id = $1 AND state = 'active' RETURNING package_id
            """,
            [.uuid(context.deliveryId), .text(code.rawValue)])
        guard let row = cancelled.first else {
            context.logger.info("nothing to cancel (no active package)", metadata: ["reason.code": "\(code.rawValue)"])
            return
        }
        let packageId = try row.decode(UUID.self, column: "package_id")
        context.logger.info("package cancelled", metadata: ["package.id": "\(packageId)", "reason.code": "\(code.rawValue)"])
        try context.emit(PackageCancelled(packageId: packageId, reason: Reason(code, message)))
    }

    /// `delivery.completed`: the active package was delivered (no event).
    static func markDelivered(context: inout HandlerContext, db: isolated PostgresConnection) throws {
        let delivered = try db.query(
            """
            UPDATE packages SET state = 'delivered', updated_at = now()
            WHERE delivery_id = $1 AND state = 'active' RETURNING package_id
            """,
            [.uuid(context.deliveryId)])
        if let row = delivered.first {
            let packageId = try row.decode(UUID.self, column: "package_id")
            context.logger.info("package delivered", metadata: ["package.id": "\(packageId)"])
        } else {
            context.logger.info("no active package to mark delivered")
        }
    }

    /// A package to register with the delivery's outcome.
    private struct NewPackage {
        let packageId: UUID
        let ownerId: String
        let info: PackageInfo
    }

    /// Records the delivery's first outcome, and with it (in the same statement) `registering`'s
    /// package; `false` when it already has one (committed by another transaction, which this
    /// insert waited for if it was in flight), and then nothing is registered.
    private static func claim(
        _ deliveryId: UUID, state: String, reasonCode: String?, registering package: NewPackage? = nil, _ db: isolated PostgresConnection
    ) throws -> Bool {
        let claim = """
            INSERT INTO delivery_outcomes (delivery_id, state, reason_code) VALUES ($1, $2, $3)
            ON CONFLICT (delivery_id) DO NOTHING RETURNING delivery_id
            """
        let parameters: [PostgresValue] = [.uuid(deliveryId), .text(state), .text(reasonCode)]
        guard let package else { return try !db.query(claim, parameters).isEmpty }
        return try !db.query(
            """
            WITH claimed AS (\(claim)), registered AS (
                INSERT INTO packages (package_id, delivery_id, owner_id, size, weight_kg, tag)
                SELECT $4, delivery_id, $5, $6, $7, $8 FROM claimed)
            SELECT delivery_id FROM claimed
            """,
            parameters + [.uuid(package.packageId), .text(package.ownerId), .text(package.info.size.rawValue),
                          .double(package.info.weightKg), .text(package.info.tag)]).isEmpty
    }

    private static func outcome(of deliveryId: UUID, _ db: isolated PostgresConnection) throws -> String? {
        try db.query("SELECT state FROM delivery_outcomes WHERE delivery_id = $1", [.uuid(deliveryId)]).first?
            .decode(String.self, column: "state")
    }
}
