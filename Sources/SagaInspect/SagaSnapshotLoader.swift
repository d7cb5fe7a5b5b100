package import Choreography
import Contracts
package import Foundation
package import Postgres

/// The schema each service owns. By default all six live in one database under their own names.
package struct SagaSchemas: Sendable, Hashable {
    /// The ingestion service's schema.
    package var ingestion: String
    /// The account service's schema.
    package var account: String
    /// The package service's schema.
    package var package: String
    /// The drone service's schema.
    package var drone: String
    /// The delivery service's schema.
    package var delivery: String
    /// The history service's schema.
    package var history: String

    /// Schema names; each defaults to its service's name.
    package init(
        ingestion: String = "ingestion", account: String = "account", package: String = "package", drone: String = "drone",
        delivery: String = "delivery", history: String = "history"
    ) {
        self.ingestion = ingestion
        self.account = account
        self.package = package
        self.drone = drone
        self.delivery = delivery
        self.history = history
    }

    /// Every service with its schema, in lane order.
    package var all: [(service: String, schema: String)] {
        [("ingestion", ingestion), ("account", account), ("package", package), ("drone", drone), ("delivery", delivery), ("history", history)]
    }

    /// Checks that every name is a plain SQL identifier (they are placed in SQL text).
    package func validated() throws -> SagaSchemas {
        for (service, schema) in all {
            do {
                _ = try SQLIdentifier(schema)
            } catch {
                throw SagaInspectError(.invalidArgument, "the \(service) schema '\(schema)' is not a plain SQL identifier")
            }
        }
        return self
    }
}

/// Reads everything known about deliveries from every service's schema in one read-only,
/// repeatable-read transaction, so the log, the inboxes and the services' rows agree with each
/// other. A schema, table or column that is missing or unreadable becomes a warning, not an error.
package enum SagaSnapshotLoader {
    /// The snapshot of one delivery, or `nil` when no service's schema (and no parked message)
    /// knows the id. `parked` is every parked message read from the broker (see
    /// ``SagaParkedMessageReader``); the delivery's own are picked out by correlation id.
    package static func load(
        deliveryId: UUID, database: PostgresConnection, schemas: SagaSchemas = SagaSchemas(), parked: [SagaParkedMessage] = [],
        extraWarnings: [String] = []
    ) async throws -> SagaSnapshot? {
        try await loadMany(deliveryIds: [deliveryId], database: database, schemas: schemas, parked: parked, extraWarnings: extraWarnings)[deliveryId]
    }

    /// The snapshot of one delivery, with parked messages as ``ParkedMessages/list(limit:)``
    /// returns them (each one's service is told by the queue it came from).
    package static func load(
        deliveryId: UUID, database: PostgresConnection, schemas: SagaSchemas = SagaSchemas(), parkedMessages: [ParkedMessage]
    ) async throws -> SagaSnapshot? {
        try await load(deliveryId: deliveryId, database: database, schemas: schemas, parked: parkedMessages.map(SagaParkedMessage.init))
    }

    /// The snapshots of several deliveries with the same number of queries as one (the listing
    /// analyses a page of deliveries at once). Ids no service knows are left out.
    package static func loadMany(
        deliveryIds: [UUID], database: PostgresConnection, schemas: SagaSchemas = SagaSchemas(), parked: [SagaParkedMessage] = [],
        extraWarnings: [String] = []
    ) async throws -> [UUID: SagaSnapshot] {
        let schemas = try schemas.validated()
        let ids = Array(Set(deliveryIds))
        guard !ids.isEmpty else { return [:] }
        var snapshots = try await database.transaction { db in
            try db.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            return try SnapshotQueries(ids: ids, schemas: schemas).run(db)
        }
        for id in ids {
            snapshots[id, default: SagaSnapshot(deliveryId: id)].parked = parked.filter { $0.belongs(to: id) }
        }
        return snapshots.filter { !$0.value.isEmpty }.mapValues { snapshot in
            var snapshot = snapshot
            snapshot.warnings += extraWarnings
            return snapshot
        }
    }
}

/// The tables and columns a role can see in some schemas (from `pg_catalog`, which every role may
/// read, unlike `information_schema`, which hides what the role has no privilege on).
struct SchemaCatalog: Sendable {
    /// Schemas that exist, and whether the role may use them.
    var schemaUsable: [String: Bool] = [:]
    /// schema → table → column → whether the role may select it.
    var columns: [String: [String: [String: Bool]]] = [:]

    static func load(schemas: [String], _ db: isolated PostgresConnection) throws -> SchemaCatalog {
        let rows = try db.query("""
            SELECT n.nspname::text AS schema_name, has_schema_privilege(n.oid, 'USAGE') AS usable,
                   c.relname::text AS table_name, a.attname::text AS column_name,
                   CASE WHEN a.attnum IS NULL THEN NULL ELSE has_column_privilege(c.oid, a.attnum, 'SELECT') END AS readable
            FROM pg_namespace n
            LEFT JOIN pg_class c ON c.relnamespace = n.oid AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
            LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
            WHERE n.nspname = ANY($1)
            """, [.textArray(schemas)])
        var catalog = SchemaCatalog()
        for row in rows {
            let schema = try row.decode(String.self, column: "schema_name")
            catalog.schemaUsable[schema] = try row.decode(Bool.self, column: "usable")
            guard let table = try row.decode(String?.self, column: "table_name"),
                  let column = try row.decode(String?.self, column: "column_name")
            else { continue }
            catalog.columns[schema, default: [:]][table, default: [:]][column] = try row.decode(Bool?.self, column: "readable") ?? false
        }
        return catalog
    }
}

/// One column a table read wants: its name, the SQL that reads it, and whether the read is
/// pointless without it.
struct WantedColumn: Sendable {
    var name: String
    var expression: String
    var required: Bool

    static func required(_ name: String, _ expression: String? = nil) -> WantedColumn {
        WantedColumn(name: name, expression: expression ?? name, required: true)
    }

    static func optional(_ name: String, _ expression: String? = nil) -> WantedColumn {
        WantedColumn(name: name, expression: expression ?? name, required: false)
    }
}

/// The loader's queries, run inside its transaction.
struct SnapshotQueries: Sendable {
    let ids: [UUID]
    let schemas: SagaSchemas

    func run(_ db: isolated PostgresConnection) throws -> [UUID: SagaSnapshot] {
        var results = Results(ids: ids)
        let catalog = try SchemaCatalog.load(schemas: schemas.all.map(\.schema), db)
        var reader = TableReader(catalog: catalog)
        for (_, schema) in schemas.all { _ = reader.checkSchema(schema) }
        for (service, schema) in schemas.all {
            try readRuntimeTables(service: service, schema: schema, &reader, &results, db)
        }
        try readHistory(&reader, &results, db)
        try readIngestion(&reader, &results, db)
        try readAccount(&reader, &results, db)
        try readPackage(&reader, &results, db)
        try readDrone(&reader, &results, db)
        try readDelivery(&reader, &results, db)
        for id in ids { results.snapshots[id]?.warnings = reader.warnings }
        return results.snapshots
    }

    /// The snapshots being filled.
    struct Results {
        var snapshots: [UUID: SagaSnapshot]

        init(ids: [UUID]) {
            snapshots = Dictionary(uniqueKeysWithValues: ids.map { ($0, SagaSnapshot(deliveryId: $0)) })
        }

        mutating func update(_ id: UUID, _ change: (inout SagaSnapshot) -> Void) {
            guard var snapshot = snapshots[id] else { return }
            change(&snapshot)
            snapshots[id] = snapshot
        }
    }

    private var byDelivery: String { "delivery_id = ANY($1)" }
    private var parameters: [PostgresValue] { [.uuidArray(ids)] }

    private func readRuntimeTables(service: String, schema: String, _ reader: inout TableReader, _ results: inout Results, _ db: isolated PostgresConnection) throws {
        if let rows = try reader.select(schema, "inbox", [
            .required("event_id"), .required("delivery_id"), .required("event_type"), .required("handled_at"),
        ], where: byDelivery, parameters, db) {
            for row in rows {
                let id = try row.decode(UUID.self, column: "delivery_id")
                let handled = HandledEvent(
                    service: service, eventId: try row.decode(UUID.self, column: "event_id"),
                    eventType: try row.decode(String.self, column: "event_type"), handledAt: try row.decode(Date.self, column: "handled_at"))
                results.update(id) { $0.handled.append(handled) }
            }
        }
        if let rows = try reader.select(schema, "outbox", [
            .required("event_id"), .required("delivery_id"), .required("event_type"), .optional("producer"),
            .optional("causation_id"), .optional("body", "body::text"), .required("created_at"),
        ], where: byDelivery, parameters, db) {
            for row in rows {
                let id = try row.decode(UUID.self, column: "delivery_id")
                let envelope = try Self.json(row, "body")
                let pending = PendingOutboxEvent(
                    service: service, eventId: try row.decode(UUID.self, column: "event_id"),
                    eventType: try row.decode(String.self, column: "event_type"),
                    producer: try row.decode(String?.self, column: "producer") ?? service,
                    causationId: try row.decode(UUID?.self, column: "causation_id"),
                    committedAt: try row.decode(Date.self, column: "created_at"),
                    occurredAt: envelope["occurredAt"]?.stringValue.flatMap(RFC3339.date(from:)),
                    data: envelope["data"] ?? .object([:]))
                results.update(id) { $0.pendingOutbox.append(pending) }
            }
        }
        if let rows = try reader.select(schema, "deadlines", [
            .required("name"), .required("delivery_id"), .required("fire_at"), .optional("fired_at"), .optional("cancelled_at"),
            .optional("parked_at"), .optional("last_error"),
        ], where: byDelivery, parameters, db) {
            for row in rows {
                let id = try row.decode(UUID.self, column: "delivery_id")
                let deadline = SagaDeadline(
                    service: service, name: try row.decode(String.self, column: "name"), fireAt: try row.decode(Date.self, column: "fire_at"),
                    firedAt: try row.decode(Date?.self, column: "fired_at"), cancelledAt: try row.decode(Date?.self, column: "cancelled_at"),
                    parkedAt: try row.decode(Date?.self, column: "parked_at"), lastError: try row.decode(String?.self, column: "last_error"))
                results.update(id) { $0.deadlines.append(deadline) }
            }
        }
    }

    private func readHistory(_ reader: inout TableReader, _ results: inout Results, _ db: isolated PostgresConnection) throws {
        if let rows = try reader.select(schemas.history, "events", [
            .required("event_id"), .required("delivery_id"), .required("event_type"), .optional("schema_version"),
            .optional("producer"), .optional("causation_id"), .required("occurred_at"), .optional("recorded_at"),
            .optional("body", "body::text"),
        ], where: byDelivery + " ORDER BY occurred_at, event_id", parameters, db) {
            for row in rows {
                let id = try row.decode(UUID.self, column: "delivery_id")
                let type = try row.decode(String.self, column: "event_type")
                let event = SagaEvent(
                    eventId: try row.decode(UUID.self, column: "event_id"), type: type,
                    producer: try row.decode(String?.self, column: "producer"),
                    schemaVersion: try row.decode(Int?.self, column: "schema_version") ?? 1,
                    occurredAt: try row.decode(Date.self, column: "occurred_at"),
                    recordedAt: try row.decode(Date?.self, column: "recorded_at"),
                    causationId: try row.decode(UUID?.self, column: "causation_id"),
                    data: try Self.json(row, "body")["data"] ?? .object([:]))
                results.update(id) { $0.events.append(event) }
            }
        }
        if let rows = try reader.select(schemas.history, "delivery_status", [
            .required("delivery_id"), .required("stage"), .required("saga_state"), .optional("reason_code"),
            .optional("last_event_type"), .optional("updated_at"),
        ], where: byDelivery, parameters, db) {
            for row in rows {
                let id = try row.decode(UUID.self, column: "delivery_id")
                let status = DeliveryStatusState(
                    stage: try row.decode(String.self, column: "stage"), sagaState: try row.decode(String.self, column: "saga_state"),
                    reasonCode: try row.decode(String?.self, column: "reason_code"),
                    lastEventType: try row.decode(String?.self, column: "last_event_type") ?? "",
                    updatedAt: try row.decode(Date?.self, column: "updated_at") ?? Date(timeIntervalSince1970: 0))
                results.update(id) { $0.state.status = status }
            }
        }
    }

    private func readIngestion(_ reader: inout TableReader, _ results: inout Results, _ db: isolated PostgresConnection) throws {
        guard let rows = try reader.select(schemas.ingestion, "requests", [
            .required("delivery_id"), .optional("owner_id"), .required("accepted_at"), .optional("cancellation_requested_at"),
        ], where: byDelivery, parameters, db) else { return }
        for row in rows {
            let id = try row.decode(UUID.self, column: "delivery_id")
            let request = IngestionRequestState(
                ownerId: try row.decode(String?.self, column: "owner_id") ?? "", acceptedAt: try row.decode(Date.self, column: "accepted_at"),
                cancellationRequestedAt: try row.decode(Date?.self, column: "cancellation_requested_at"))
            results.update(id) { $0.state.request = request }
        }
    }

    private func readAccount(_ reader: inout TableReader, _ results: inout Results, _ db: isolated PostgresConnection) throws {
        guard let rows = try reader.select(schemas.account, "decisions", [
            .required("delivery_id"), .optional("owner_id"), .required("outcome"), .optional("reason_code"), .optional("decided_at"),
        ], where: byDelivery, parameters, db) else { return }
        for row in rows {
            let id = try row.decode(UUID.self, column: "delivery_id")
            let decision = AccountDecisionState(
                ownerId: try row.decode(String?.self, column: "owner_id") ?? "", outcome: try row.decode(String.self, column: "outcome"),
                reasonCode: try row.decode(String?.self, column: "reason_code"), decidedAt: try row.decode(Date?.self, column: "decided_at"))
            results.update(id) { $0.state.accountDecision = decision }
        }
    }

    private func readPackage(_ reader: inout TableReader, _ results: inout Results, _ db: isolated PostgresConnection) throws {
        if let rows = try reader.select(schemas.package, "packages", [
            .required("package_id"), .required("delivery_id"), .required("state"), .optional("cancel_reason"),
        ], where: byDelivery, parameters, db) {
            for row in rows {
                let id = try row.decode(UUID.self, column: "delivery_id")
                let package = PackageState(
                    packageId: try row.decode(UUID.self, column: "package_id"), state: try row.decode(String.self, column: "state"),
                    cancelReason: try row.decode(String?.self, column: "cancel_reason"))
                results.update(id) { $0.state.package = package }
            }
        }
        if let rows = try reader.select(schemas.package, "delivery_outcomes", [
            .required("delivery_id"), .required("state"), .optional("reason_code"),
        ], where: byDelivery, parameters, db) {
            for row in rows {
                let id = try row.decode(UUID.self, column: "delivery_id")
                let outcome = PackageOutcomeState(
                    state: try row.decode(String.self, column: "state"), reasonCode: try row.decode(String?.self, column: "reason_code"))
                results.update(id) { $0.state.packageOutcome = outcome }
            }
        }
    }

    private func readDrone(_ reader: inout TableReader, _ results: inout Results, _ db: isolated PostgresConnection) throws {
        if let rows = try reader.select(schemas.drone, "allocations", [
            .required("delivery_id"), .optional("drone_id"), .required("state"), .optional("release_reason"), .optional("failure_code"),
        ], where: byDelivery, parameters, db) {
            for row in rows {
                let id = try row.decode(UUID.self, column: "delivery_id")
                let allocation = DroneAllocationState(
                    droneId: try row.decode(String?.self, column: "drone_id"), state: try row.decode(String.self, column: "state"),
                    releaseReason: try row.decode(String?.self, column: "release_reason"),
                    failureCode: try row.decode(String?.self, column: "failure_code"))
                results.update(id) { $0.state.allocation = allocation }
            }
        }
        if let rows = try reader.select(schemas.drone, "drones", [
            .required("drone_id"), .required("state"), .required("delivery_id"),
        ], where: byDelivery + " ORDER BY drone_id", parameters, db) {
            for row in rows {
                let id = try row.decode(UUID.self, column: "delivery_id")
                let drone = HeldDroneState(droneId: try row.decode(String.self, column: "drone_id"), state: try row.decode(String.self, column: "state"))
                results.update(id) { $0.state.heldDrones.append(drone) }
            }
        }
    }

    private func readDelivery(_ reader: inout TableReader, _ results: inout Results, _ db: isolated PostgresConnection) throws {
        guard let rows = try reader.select(schemas.delivery, "deliveries", [
            .required("delivery_id"), .required("state"), .optional("account_state"), .optional("drone_id"), .optional("failure_code"),
        ], where: byDelivery, parameters, db) else { return }
        for row in rows {
            let id = try row.decode(UUID.self, column: "delivery_id")
            let delivery = DeliveryServiceState(
                state: try row.decode(String.self, column: "state"),
                accountState: try row.decode(String?.self, column: "account_state") ?? "pending",
                droneId: try row.decode(String?.self, column: "drone_id"), failureCode: try row.decode(String?.self, column: "failure_code"))
            results.update(id) { $0.state.delivery = delivery }
        }
    }

    /// A JSON text column as a value (`.null` when NULL or not JSON).
    static func json(_ row: PostgresRow, _ column: String) throws -> JSONValue {
        guard let text = try row.decode(String?.self, column: column) else { return .null }
        return (try? JSONValue(parsing: text)) ?? .null
    }
}

/// Builds the SELECTs from what the catalog says is there, collecting a warning for every schema,
/// table or column that is missing or unreadable.
struct TableReader {
    let catalog: SchemaCatalog
    private(set) var warnings: [String] = []
    private var reportedSchemas: Set<String> = []

    init(catalog: SchemaCatalog) {
        self.catalog = catalog
    }

    /// Whether the schema exists and may be used; warns once if not.
    mutating func checkSchema(_ schema: String) -> Bool {
        guard let usable = catalog.schemaUsable[schema] else {
            if reportedSchemas.insert(schema).inserted { warnings.append("schema \(schema) does not exist (not migrated?)") }
            return false
        }
        if !usable {
            if reportedSchemas.insert(schema).inserted {
                warnings.append("the database role may not use schema \(schema) (grant it USAGE and SELECT on its tables)")
            }
            return false
        }
        return true
    }

    /// Runs `SELECT <columns> FROM schema.table WHERE <condition>`, or returns nil (with a warning)
    /// when the table or a required column is missing or unreadable. Missing optional columns
    /// read as NULL.
    mutating func select(
        _ schema: String, _ table: String, _ wanted: [WantedColumn], where condition: String, _ parameters: [PostgresValue],
        _ db: isolated PostgresConnection
    ) throws -> PostgresRows? {
        guard checkSchema(schema) else { return nil }
        guard let columns = catalog.columns[schema]?[table] else {
            warnings.append("schema \(schema) has no table \(table) (not migrated?)")
            return nil
        }
        guard columns.values.contains(true) else {
            warnings.append("the database role may not read \(schema).\(table) (grant it SELECT)")
            return nil
        }
        let absent = wanted.filter { columns[$0.name] != true }
        if !absent.isEmpty {
            let names = absent.map(\.name).joined(separator: ", ")
            if absent.contains(where: \.required) {
                warnings.append("\(schema).\(table) lacks column(s) \(names) (older migration, or not readable); not read")
                return nil
            }
            warnings.append("\(schema).\(table) lacks column(s) \(names) (older migration, or not readable)")
        }
        let list = wanted.map { columns[$0.name] == true ? "\($0.expression) AS \($0.name)" : "NULL AS \($0.name)" }
        return try db.query("SELECT \(list.joined(separator: ", ")) FROM \"\(schema)\".\"\(table)\" WHERE \(condition)", parameters)
    }
}
