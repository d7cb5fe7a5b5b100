import Contracts
import Foundation
import IntegrationSupport
import Postgres
import SagaInspect
import Testing

/// A throw-away database on the real PostgreSQL (`CREATE DATABASE si_<random>`), dropped afterwards.
struct ScratchDatabase {
    let name: String
    let url: String
    let serverURL: String

    /// Creates the database, runs `body` with a connection to it, then drops it (also when `body` throws).
    static func with<Value>(_ body: (ScratchDatabase, PostgresConnection) async throws -> Value) async throws -> Value {
        let serverURL = try TestServers.databaseURL()
        let name = "si_" + UUID().uuidString.prefix(12).lowercased().replacingOccurrences(of: "-", with: "")
        guard var components = URLComponents(string: serverURL) else { throw HarnessError("DATABASE_URL is not a URL: \(serverURL)") }
        components.path = "/" + name
        let scratch = ScratchDatabase(name: name, url: components.string!, serverURL: serverURL)
        let server = try await PostgresConnection.connect(url: serverURL)
        try await server.simpleQuery("CREATE DATABASE \(name)")
        let result: Result<Value, any Error>
        do {
            let database = try await PostgresConnection.connect(url: scratch.url)
            do {
                result = .success(try await body(scratch, database))
            } catch {
                result = .failure(error)
            }
            await database.close()
        } catch {
            result = .failure(error)
        }
        try await server.simpleQuery("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
        await server.close()
        return try result.get()
    }
}

/// Minimal copies of the services' tables: only the columns saga-inspect reads.
enum MinimalSchemas {
    static func runtimeTables(_ schema: String, deadlines: Bool = true) -> String {
        """
        CREATE SCHEMA \(schema);
        CREATE TABLE \(schema).inbox (event_id uuid PRIMARY KEY, event_type text NOT NULL, delivery_id uuid, handled_at timestamptz NOT NULL,
            trace_id text);
        CREATE TABLE \(schema).outbox (id bigserial PRIMARY KEY, event_id uuid NOT NULL, event_type text NOT NULL, producer text NOT NULL,
            delivery_id uuid, causation_id uuid, schema_version int NOT NULL DEFAULT 1, body json NOT NULL, created_at timestamptz NOT NULL);
        """ + (deadlines ? """

        CREATE TABLE \(schema).deadlines (id bigserial PRIMARY KEY, name text NOT NULL, delivery_id uuid NOT NULL, fire_at timestamptz NOT NULL,
            fired_at timestamptz, cancelled_at timestamptz, parked_at timestamptz, last_error text);
        """ : "")
    }

    /// Every schema but `delivery` (left out: a missing schema), with `drone` lacking its
    /// allocations and drones tables and `account.decisions` lacking `decided_at`.
    static let partial = [
        runtimeTables("ingestion"),
        "CREATE TABLE ingestion.requests (delivery_id uuid PRIMARY KEY, owner_id text NOT NULL, accepted_at timestamptz NOT NULL, cancellation_requested_at timestamptz);",
        runtimeTables("account"),
        "CREATE TABLE account.decisions (delivery_id uuid PRIMARY KEY, owner_id text NOT NULL, outcome text NOT NULL, reason_code text);",
        runtimeTables("package"),
        """
        CREATE TABLE package.packages (package_id uuid PRIMARY KEY, delivery_id uuid NOT NULL UNIQUE, state text NOT NULL, cancel_reason text);
        CREATE TABLE package.delivery_outcomes (delivery_id uuid PRIMARY KEY, state text NOT NULL, reason_code text);
        """,
        runtimeTables("drone", deadlines: false),
        runtimeTables("history"),
        """
        CREATE TABLE history.events (event_id uuid PRIMARY KEY, delivery_id uuid NOT NULL, event_type text NOT NULL, schema_version int NOT NULL,
            producer text NOT NULL, causation_id uuid, occurred_at timestamptz NOT NULL, recorded_at timestamptz NOT NULL DEFAULT clock_timestamp(),
            body jsonb NOT NULL);
        CREATE TABLE history.delivery_status (delivery_id uuid PRIMARY KEY, stage text NOT NULL, saga_state text NOT NULL, owner_id text,
            drone_id text, reason_code text, last_event_type text NOT NULL, created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
            updated_at timestamptz NOT NULL);
        """,
    ].joined(separator: "\n")

    /// The drone and delivery tables the partial set leaves out.
    static let rest = """
        CREATE TABLE drone.deadlines (id bigserial PRIMARY KEY, name text NOT NULL, delivery_id uuid NOT NULL, fire_at timestamptz NOT NULL,
            fired_at timestamptz, cancelled_at timestamptz, parked_at timestamptz, last_error text);
        CREATE TABLE drone.drones (drone_id text PRIMARY KEY, state text NOT NULL, delivery_id uuid);
        CREATE TABLE drone.allocations (delivery_id uuid PRIMARY KEY, drone_id text, package_id uuid, state text NOT NULL, release_reason text,
            failure_code text);
        \(runtimeTables("delivery"))
        CREATE TABLE delivery.deliveries (delivery_id uuid PRIMARY KEY, state text NOT NULL, account_state text NOT NULL, drone_id text,
            failure_code text);
        ALTER TABLE account.decisions ADD COLUMN decided_at timestamptz;
        """
}

/// Writes one saga's rows the way the services would.
struct SagaRows {
    let deliveryId = UUID()
    let packageId = UUID()
    let start = Date(timeIntervalSinceNow: -60)
    private(set) var ids: [String: UUID] = [:]

    /// Logs an event in history.events and records it in the inboxes of `handledBy`.
    mutating func log(
        _ type: String, at seconds: Double, causedBy cause: String? = nil, data: JSONValue = [:], handledBy: [String],
        _ db: PostgresConnection
    ) async throws {
        let id = UUID()
        let producer = SagaContract.producer(of: type)
        let envelope: JSONValue = [
            "id": .string(id.uuidString.lowercased()), "type": .string(type), "version": 1,
            "occurredAt": .string(RFC3339.string(from: start.addingTimeInterval(seconds))),
            "deliveryId": .string(deliveryId.uuidString.lowercased()),
            "causationId": cause.flatMap { ids[$0] }.map { .string($0.uuidString.lowercased()) } ?? .null,
            "producer": .string(producer), "data": data,
        ]
        try await db.execute("""
            INSERT INTO history.events (event_id, delivery_id, event_type, schema_version, producer, causation_id, occurred_at, body)
            VALUES ($1, $2, $3, 1, $4, $5, $6, $7)
            """, [.uuid(id), .uuid(deliveryId), .text(type), .text(producer), .uuid(cause.flatMap { ids[$0] }),
                  .timestamp(start.addingTimeInterval(seconds)), .jsonb(envelope.jsonText)])
        for (index, service) in handledBy.enumerated() {
            try await db.execute(
                "INSERT INTO \(service).inbox (event_id, event_type, delivery_id, handled_at) VALUES ($1, $2, $3, $4)",
                [.uuid(id), .text(type), .uuid(deliveryId), .timestamp(start.addingTimeInterval(seconds + 0.01 + Double(index) * 0.001))])
        }
        ids[type] = id
    }

    static func reason(_ code: String, extra: [String: JSONValue] = [:]) -> JSONValue {
        var members = extra
        members["reason"] = ["code": .string(code), "message": "why"]
        return .object(members)
    }

    /// A request logged ten minutes ago and handled by account and package only, with history's
    /// status row still `Created`: a saga stuck after 300 s.
    mutating func writeStuckRequest(_ db: PostgresConnection) async throws {
        try await log("delivery.requested", at: -600, handledBy: ["account", "package", "history"], db)
        try await db.execute("""
            INSERT INTO history.delivery_status (delivery_id, stage, saga_state, last_event_type, created_at, updated_at)
            VALUES ($1, 'Created', 'inFlight', 'delivery.requested', $2, $2)
            """, [.uuid(deliveryId), .timestamp(start.addingTimeInterval(-600))])
    }

    /// account.rejected after the drone was allocated, both compensations logged, the services' rows to match.
    mutating func writeRejectedSaga(_ db: PostgresConnection) async throws {
        let package = JSONValue.string(packageId.uuidString.lowercased())
        try await db.execute(
            "INSERT INTO ingestion.requests (delivery_id, owner_id, accepted_at) VALUES ($1, 'acct-suspended-002', $2)",
            [.uuid(deliveryId), .timestamp(start.addingTimeInterval(-0.001))])
        try await log("delivery.requested", at: 0, handledBy: ["account", "package", "history"], db)
        try await log("package.created", at: 0.012, causedBy: "delivery.requested", data: ["packageId": package], handledBy: ["drone", "history"], db)
        try await log("drone.allocated", at: 0.030, causedBy: "package.created", data: ["droneId": "drone-007", "packageId": package],
                      handledBy: ["history"], db)
        try await log("account.rejected", at: 0.040, causedBy: "delivery.requested", data: Self.reason("ACCOUNT_SUSPENDED"),
                      handledBy: ["package", "drone", "history"], db)
        try await log("package.cancelled", at: 0.050, causedBy: "account.rejected", data: Self.reason("ACCOUNT_REJECTED", extra: ["packageId": package]),
                      handledBy: ["history"], db)
        try await log("drone.released", at: 0.060, causedBy: "account.rejected", data: Self.reason("ACCOUNT_REJECTED", extra: ["droneId": "drone-007"]),
                      handledBy: ["history"], db)
        try await db.execute(
            "INSERT INTO account.decisions (delivery_id, owner_id, outcome, reason_code) VALUES ($1, 'acct-suspended-002', 'rejected', 'ACCOUNT_SUSPENDED')",
            [.uuid(deliveryId)])
        try await db.execute(
            "INSERT INTO package.packages (package_id, delivery_id, state, cancel_reason) VALUES ($1, $2, 'cancelled', 'ACCOUNT_REJECTED')",
            [.uuid(packageId), .uuid(deliveryId)])
        try await db.execute("INSERT INTO package.delivery_outcomes (delivery_id, state) VALUES ($1, 'created')", [.uuid(deliveryId)])
        try await db.execute("""
            INSERT INTO history.delivery_status (delivery_id, stage, saga_state, owner_id, drone_id, reason_code, last_event_type, created_at, updated_at)
            VALUES ($1, 'Compensated', 'compensated', 'acct-suspended-002', 'drone-007', 'ACCOUNT_SUSPENDED', 'drone.released', $2, $3)
            """, [.uuid(deliveryId), .timestamp(start), .timestamp(start.addingTimeInterval(0.06))])
    }
}

@Suite("SagaSnapshotLoader against the real PostgreSQL")
struct SagaSnapshotLoaderTests {
    @Test("loads a saga from every schema; a missing schema, table or column is a warning, not a crash")
    func loadsPartialSchemas() async throws {
        try await ScratchDatabase.with { _, db in
            try await db.simpleQuery(MinimalSchemas.partial)
            var saga = SagaRows()
            try await saga.writeRejectedSaga(db)

            let loaded = try await SagaSnapshotLoader.load(deliveryId: saga.deliveryId, database: db)
            let snapshot = try #require(loaded)
            #expect(snapshot.events.count == 6)
            #expect(snapshot.events.map(\.type).first == "delivery.requested")
            #expect(snapshot.events.first { $0.type == "drone.released" }?.reasonCode == "ACCOUNT_REJECTED")
            #expect(snapshot.events.first { $0.type == "package.cancelled" }?.causationId == saga.ids["account.rejected"])
            #expect(snapshot.handled.count == 11)
            #expect(Set(snapshot.handled.filter { $0.eventId == saga.ids["account.rejected"] }.map(\.service)) == ["package", "drone", "history"])
            #expect(snapshot.state.request?.ownerId == "acct-suspended-002")
            #expect(snapshot.state.accountDecision?.outcome == "rejected")
            #expect(snapshot.state.accountDecision?.decidedAt == nil)
            #expect(snapshot.state.package == PackageState(packageId: saga.packageId, state: "cancelled", cancelReason: "ACCOUNT_REJECTED"))
            #expect(snapshot.state.packageOutcome?.state == "created")
            #expect(snapshot.state.status?.sagaState == "compensated")
            #expect(snapshot.state.allocation == nil)
            #expect(snapshot.state.delivery == nil)

            #expect(snapshot.warnings.contains("schema delivery does not exist (not migrated?)"))
            #expect(snapshot.warnings.contains("schema drone has no table deadlines (not migrated?)"))
            #expect(snapshot.warnings.contains("schema drone has no table allocations (not migrated?)"))
            #expect(snapshot.warnings.contains("schema drone has no table drones (not migrated?)"))
            #expect(snapshot.warnings.contains("account.decisions lacks column(s) decided_at (older migration, or not readable)"))

            let report = SagaAnalysis.analyse(snapshot, now: Date())
            #expect(report.verdict == .rejected)
            #expect(report.warnings.contains("schema delivery does not exist (not migrated?)"))
            #expect(report.event(saga.ids["package.cancelled"]!)?.isCompensation == true)
            #expect(SagaTextRenderer.render(report).contains("schema drone has no table allocations"))

            // An id no schema knows.
            #expect(try await SagaSnapshotLoader.load(deliveryId: UUID(), database: db) == nil)
        }
    }

    @Test("service state that contradicts the log is read and judged inconsistent; outbox, timers and parked messages are picked up")
    func contradictionOutboxAndTimers() async throws {
        try await ScratchDatabase.with { _, db in
            try await db.simpleQuery(MinimalSchemas.partial + MinimalSchemas.rest)
            var saga = SagaRows()
            try await saga.writeRejectedSaga(db)
            // The drone service still holds drone-007 although drone.released was logged.
            try await db.execute("INSERT INTO drone.drones (drone_id, state, delivery_id) VALUES ('drone-007', 'allocated', $1)", [.uuid(saga.deliveryId)])
            try await db.execute(
                "INSERT INTO drone.allocations (delivery_id, drone_id, package_id, state) VALUES ($1, 'drone-007', $2, 'allocated')",
                [.uuid(saga.deliveryId), .uuid(saga.packageId)])
            try await db.execute(
                "INSERT INTO delivery.deliveries (delivery_id, state, account_state) VALUES ($1, 'failed', 'rejected')", [.uuid(saga.deliveryId)])
            let pendingId = UUID()
            try await db.execute("""
                INSERT INTO delivery.outbox (event_id, event_type, producer, delivery_id, causation_id, body, created_at)
                VALUES ($1, 'delivery.cancellation-refused', 'delivery', $2, NULL, $3, clock_timestamp())
                """, [.uuid(pendingId), .uuid(saga.deliveryId),
                      .json(#"{"occurredAt": "2026-06-15T08:00:00.000Z", "data": {"reason": {"code": "ALREADY_FAILED", "message": "x"}}}"#)])
            try await db.execute(
                "INSERT INTO drone.deadlines (name, delivery_id, fire_at) VALUES ('flight-pickup', $1, clock_timestamp() + interval '10 minutes')",
                [.uuid(saga.deliveryId)])
            let otherDelivery = UUID()
            let parked = [
                SagaParkedMessage(service: "drone", messageId: UUID().uuidString.lowercased(), eventType: "delivery.scheduled",
                                  deliveryId: saga.deliveryId.uuidString.lowercased(), reason: "retries-exhausted", attempts: 5),
                SagaParkedMessage(service: "drone", messageId: UUID().uuidString.lowercased(), eventType: "delivery.scheduled",
                                  deliveryId: otherDelivery.uuidString.lowercased(), reason: "retries-exhausted", attempts: 5),
            ]

            let snapshot = try #require(try await SagaSnapshotLoader.load(
                deliveryId: saga.deliveryId, database: db, parked: parked, extraWarnings: ["parked messages not checked"]))
            #expect(snapshot.warnings.filter { $0.contains("not migrated") || $0.contains("lacks") }.isEmpty)
            #expect(snapshot.warnings.contains("parked messages not checked"))
            #expect(snapshot.state.heldDrones == [HeldDroneState(droneId: "drone-007", state: "allocated")])
            #expect(snapshot.state.allocation?.state == "allocated")
            #expect(snapshot.state.delivery?.state == "failed")
            #expect(snapshot.pendingOutbox.map(\.eventId) == [pendingId])
            #expect(snapshot.pendingOutbox.first?.data["reason"]?["code"]?.stringValue == "ALREADY_FAILED")
            #expect(snapshot.pendingOutbox.first?.occurredAt == RFC3339.date(from: "2026-06-15T08:00:00.000Z"))
            #expect(snapshot.deadlines.map(\.name) == ["flight-pickup"])
            #expect(snapshot.deadlines.first?.isPending == true)
            #expect(snapshot.parked.count == 1)

            let report = SagaAnalysis.analyse(snapshot, now: Date())
            #expect(report.verdict == .inconsistent(missing: [
                "drone drone-007 is still allocated to this rejected delivery although drone.released was logged",
            ]))

            // The same snapshot arrives through loadMany, which leaves out unknown ids.
            let many = try await SagaSnapshotLoader.loadMany(deliveryIds: [saga.deliveryId, otherDelivery], database: db)
            #expect(Array(many.keys) == [saga.deliveryId])
        }
    }

    @Test("list and stats over history.delivery_status with each delivery's verdict")
    func listingAndStats() async throws {
        try await ScratchDatabase.with { _, db in
            try await db.simpleQuery(MinimalSchemas.partial + MinimalSchemas.rest)
            var rejected = SagaRows()
            try await rejected.writeRejectedSaga(db)
            var stuck = SagaRows()
            try await stuck.writeStuckRequest(db)

            let listing = SagaListing(database: db, stuckAfter: 300)
            let all = try await listing.list()
            #expect(Set(all.map(\.deliveryId)) == [rejected.deliveryId, stuck.deliveryId])
            #expect(all.first { $0.deliveryId == rejected.deliveryId }?.verdict == .rejected)

            let stuckOnly = try await listing.list(status: .stuck)
            #expect(stuckOnly.map(\.deliveryId) == [stuck.deliveryId])
            guard case .stuck(let reason) = stuckOnly.first?.verdict else {
                Issue.record("expected stuck, got \(String(describing: stuckOnly.first?.verdict))")
                return
            }
            #expect(reason.contains("waiting on account"))
            #expect(try await listing.list(status: .rejected).map(\.deliveryId) == [rejected.deliveryId])
            #expect(try await listing.list(status: .completed).isEmpty)
            #expect(try await listing.list(limit: 1).count == 1)
            #expect(try await listing.list(since: Date().addingTimeInterval(60)).isEmpty)

            let stats = try await listing.stats()
            #expect(stats.total == 2)
            #expect(stats.bySagaState == ["compensated": 1, "inFlight": 1])
            #expect(stats.byReasonCode == ["ACCOUNT_SUSPENDED": 1])
            #expect(stats.endedSagas == 1)
            #expect(abs((stats.p50Seconds ?? 0) - 0.06) < 0.001)
            #expect(abs((stats.maxSeconds ?? 0) - 0.06) < 0.001)
        }
    }

    @Test("listing without a history schema says so")
    func listingWithoutHistory() async throws {
        try await ScratchDatabase.with { _, db in
            let listing = SagaListing(database: db)
            await #expect(throws: SagaInspectError.self) { try await listing.list() }
        }
    }
}

@Suite("SagaParkedMessageReader against the real RabbitMQ")
struct SagaParkedMessageReaderTests {
    @Test("parking queues that do not exist are named in warnings; nothing is listed")
    func missingQueues() async throws {
        let prefix = "si-\(UUID().uuidString.prefix(8).lowercased())-"
        let reading = await SagaParkedMessageReader(amqpURL: try TestServers.amqpURL(), queuePrefix: prefix, services: ["package", "drone"]).read()
        #expect(reading.messages.isEmpty)
        #expect(reading.warnings == [
            "queue \(prefix)package.parked does not exist (has the package service ever started with this prefix?)",
            "queue \(prefix)drone.parked does not exist (has the drone service ever started with this prefix?)",
        ])
    }

    @Test("an unreachable broker is one warning, not an error")
    func unreachableBroker() async {
        let reading = await SagaParkedMessageReader(amqpURL: "amqp://guest:secret@127.0.0.1:1/%2f").read()
        #expect(reading.messages.isEmpty)
        #expect(reading.warnings.count == 1)
        #expect(reading.warnings.first?.hasPrefix("parked messages not checked: cannot reach the broker at 127.0.0.1:1") == true)
        #expect(reading.warnings.first?.contains("secret") == false)
    }
}
