import AMQP
import Choreography
import Contracts
import Foundation
import Postgres
import SagaLoadMeasures
import UUIDText

/// Drives `count` bare sagas (``BareSaga``), `concurrency` at a time, through a private copy of
/// the saga's broker topology: one consumer and one confirming publisher connection per
/// consuming service, as the runtime has, and, with `database`, one commit per batch (inbox rows
/// of the batch, outbox rows of what it publishes) on a connection of its own. No handler runs,
/// nothing is validated, logged or traced: this is the floor under the services' work.
struct BareSagaRun {
    let amqpURL: String
    let databaseURL: String
    let count: Int
    let concurrency: Int
    let prefetch: Int
    let database: Bool

    private let suffix = String(UUID.random().lowercaseText.prefix(8))
    private var exchange: String { "floor.\(suffix)" }
    private var schema: String { "floor_\(suffix)" }
    private var topology: SagaTopology { SagaTopology(exchange: exchange, queuePrefix: "floor.\(suffix).") }

    /// Declares the topology (and tables), opens the bare services' connections and starts them,
    /// returns what `measure` returns (it gets the function that runs every saga, to call between
    /// its readings), then removes what it declared.
    func run<Measurement: Sendable>(
        _ measure: @escaping @Sendable (_ drive: @Sendable () async throws -> Void) async throws -> Measurement
    ) async throws -> Measurement {
        let admin = try await AMQPConnection.connect(url: amqpURL)
        try await topology.declare(on: admin)
        let setup = database ? try await PostgresConnection.connect(url: databaseURL) : nil
        let ends = SagaEnds()
        do {
            if let setup { try await createTables(setup) }
            // Every bare service consumes before the first saga starts.
            var services: [(Producer, BareConnections)] = []
            for service in consumingServices { services.append((service, try await connect(service))) }
            let measurement = try await withThrowingTaskGroup(of: Measurement?.self) { group in
                for (service, connections) in services {
                    group.addTask {
                        do { try await serve(service, connections, ends: ends) } catch {
                            await ends.fail()
                            throw error
                        }
                        return nil
                    }
                }
                group.addTask { try await measure { try await self.drive(ends) } }
                // The services run until cancelled: the first child to return is the measurement,
                // unless a service failed first (its error ends the run).
                let first = try await group.next()
                group.cancelAll()
                try await group.waitForAll()
                guard let measurement = first ?? nil else { throw BenchmarkFailure("a bare service stopped before the sagas ended") }
                return measurement
            }
            await cleanUp(admin, setup)
            return measurement
        } catch {
            await cleanUp(admin, setup)
            throw error
        }
    }

    /// The services with a work queue, which the bare saga replaces.
    private var consumingServices: [Producer] { Producer.all.filter { topology.workQueue(of: $0) != nil } }

    /// Starts every saga, `concurrency` at a time, each when the one before it on its lane ended.
    private func drive(_ ends: SagaEnds) async throws {
        let publisher = try await AMQPConnection.connect(url: amqpURL)
        let lanes = min(concurrency, count)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for lane in 0..<lanes {
                group.addTask {
                    var index = lane
                    while index < count {
                        let deliveryId = UUID.random()
                        let message = try BareMessages.message(BareSaga.start, deliveryId: deliveryId, causationId: nil, exchange: exchange)
                        guard try await publisher.publish([message]) == [.confirmed] else {
                            throw BenchmarkFailure("the broker did not confirm a saga's start")
                        }
                        try await ends.wait(for: deliveryId)
                        index += lanes
                    }
                }
            }
            try await group.waitForAll()
        }
        await publisher.close()
    }

    /// A bare service's connections, consuming from its work queue.
    private struct BareConnections: Sendable {
        let consumer: AMQPConnection
        let publisher: AMQPConnection
        let db: PostgresConnection?
    }

    private func connect(_ service: Producer) async throws -> BareConnections {
        let consumer = try await AMQPConnection.connect(url: amqpURL)
        try await consumer.setPrefetch(UInt16(clamping: prefetch))
        if let queue = topology.workQueue(of: service) { _ = try await consumer.consume(queue: queue) }
        return BareConnections(
            consumer: consumer, publisher: try await AMQPConnection.connect(url: amqpURL),
            db: database ? try await PostgresConnection.connect(url: databaseURL) : nil)
    }

    /// One consuming service with no work of its own: per batch, (commit,) publish with
    /// confirms, acknowledge; history reports each saga's end.
    private func serve(_ service: Producer, _ connections: BareConnections, ends: SagaEnds) async throws {
        let (consumer, publisher, db) = (connections.consumer, connections.publisher, connections.db)
        var memories: [UUID: BareSaga.Memory] = [:]
        let inbox = "\(schema).\(service.rawValue)_inbox", outbox = "\(schema).\(service.rawValue)_outbox"
        while !Task.isCancelled {
            let batch = try await consumer.nextDeliveries(maximum: prefetch, timeout: .milliseconds(100))
            guard let last = batch.last else { continue }
            var received: [(event: UUID, delivery: UUID, type: String)] = []
            var messages: [AMQPOutgoingMessage] = []
            var ended: [UUID] = []
            for delivery in batch {
                guard let deliveryId = delivery.properties.correlationId.flatMap(UUIDText.uuid),
                      let eventId = delivery.properties.messageId.flatMap(UUIDText.uuid)
                else { throw BenchmarkFailure("a bare saga message without its ids") }
                let type = EventType(delivery.routingKey)
                received.append((eventId, deliveryId, type.rawValue))
                if service == .history, type == BareSaga.end { ended.append(deliveryId) }
                for reaction in BareSaga.reaction(of: service, to: type, memory: &memories[deliveryId, default: .init()]) {
                    messages.append(try BareMessages.message(reaction, deliveryId: deliveryId, causationId: eventId, exchange: exchange))
                }
            }
            if let db {
                let rows = received, emitted = messages
                try await db.transaction { db in
                    _ = try db.execute(
                        "INSERT INTO \(inbox) (event_id, delivery_id, event_type) SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[])",
                        [.uuidArray(rows.map(\.event)), .uuidArray(rows.map(\.delivery)), .textArray(rows.map(\.type))])
                    if !emitted.isEmpty {
                        _ = try db.execute(
                            "INSERT INTO \(outbox) (event_type, body) SELECT * FROM unnest($1::text[], $2::text[])",
                            [.textArray(emitted.map(\.routingKey)), .textArray(emitted.map { String(decoding: $0.body, as: UTF8.self) })])
                    }
                }
            }
            if !messages.isEmpty {
                guard try await publisher.publish(messages).allSatisfy({ $0 == .confirmed }) else {
                    throw BenchmarkFailure("the broker did not confirm what \(service) published")
                }
            }
            try await consumer.ack(last, multiple: true)
            for deliveryId in ended { await ends.ended(deliveryId) }
        }
        await consumer.close()
        await publisher.close()
        await db?.close()
    }

    private func createTables(_ setup: PostgresConnection) async throws {
        var sql = "CREATE SCHEMA \(schema);"
        for service in consumingServices.map(\.rawValue) {
            sql += """
                CREATE TABLE \(schema).\(service)_inbox (event_id uuid PRIMARY KEY, delivery_id uuid NOT NULL, event_type text NOT NULL,
                    received_at timestamptz NOT NULL DEFAULT now());
                CREATE TABLE \(schema).\(service)_outbox (id bigserial PRIMARY KEY, event_type text NOT NULL, body text NOT NULL);
                """
        }
        _ = try await setup.simpleQuery(sql)
    }

    private func cleanUp(_ admin: AMQPConnection, _ setup: PostgresConnection?) async {
        for (queue, _) in topology.workQueues { _ = try? await admin.deleteQueue(queue) }
        try? await admin.deleteExchange(exchange)
        await admin.close()
        if let setup {
            _ = try? await setup.simpleQuery("DROP SCHEMA \(schema) CASCADE")
            await setup.close()
        }
    }
}

/// The message a service publishes for each type of the bare saga: the contracts' sample
/// payload, built exactly as the runtime builds a published event.
enum BareMessages {
    static func message(_ type: EventType, deliveryId: UUID, causationId: UUID?, exchange: String) throws -> AMQPOutgoingMessage {
        func make<Event: DomainEvent>(_ event: Event) throws -> AMQPOutgoingMessage {
            try EventMessage.make(event, deliveryId: deliveryId, causationId: causationId, exchange: exchange)
        }
        switch type {
        case .deliveryRequested: return try make(DeliveryRequested.sample())
        case .accountValidated: return try make(AccountValidated.sample())
        case .packageCreated: return try make(PackageCreated.sample())
        case .droneAllocated: return try make(DroneAllocated.sample())
        case .deliveryScheduled: return try make(DeliveryScheduled.sample())
        case .dronePickedUp: return try make(DronePickedUp.sample())
        case .droneDelivered: return try make(DroneDelivered.sample())
        case .deliveryCompleted: return try make(DeliveryCompleted.sample())
        default: throw BenchmarkFailure("the bare saga publishes no \(type)")
        }
    }
}

/// Each bare saga's end, awaited by the lane that started it (an end may come before the wait).
actor SagaEnds {
    private var waiting: [UUID: CheckedContinuation<Void, any Error>] = [:]
    private var early: Set<UUID> = []
    private var failed = false

    /// Returns when the saga ended; throws once a bare service failed.
    func wait(for deliveryId: UUID) async throws {
        if early.remove(deliveryId) != nil { return }
        if failed { throw BenchmarkFailure("a bare service failed") }
        try await withCheckedThrowingContinuation { waiting[deliveryId] = $0 }
    }

    func ended(_ deliveryId: UUID) {
        if let continuation = waiting.removeValue(forKey: deliveryId) { continuation.resume() } else { early.insert(deliveryId) }
    }

    /// A bare service failed: no saga will end any more.
    func fail() {
        failed = true
        for continuation in waiting.values { continuation.resume(throwing: BenchmarkFailure("a bare service failed")) }
        waiting = [:]
    }
}
