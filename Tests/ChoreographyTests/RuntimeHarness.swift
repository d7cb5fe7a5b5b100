import AMQP
import Choreography
import Contracts
import EchoService
import Foundation
import IntegrationSupport
import Logging
import Postgres
import Testing

/// One isolated echo service for a test: its own queue prefix, schema and exchange on the real
/// servers, a way to run runtime instances in-process, publish requests and read the outcome.
struct EchoHarness {
    let name: String
    let exchange: String
    let amqpURL: String
    let databaseURL: String
    var configuration: ChoreographyConfiguration
    let definition: ServiceDefinition

    init(retryAttempts: Int = 3) throws {
        let suffix = UUID().uuidString.prefix(8).lowercased()
        name = "t_\(suffix)"
        exchange = "test.\(suffix).events"
        amqpURL = try TestServers.amqpURL()
        databaseURL = try TestServers.databaseURL()
        var configuration = ChoreographyConfiguration(schema: name)
        configuration.amqpURL = amqpURL
        configuration.databaseURL = databaseURL
        configuration.exchange = exchange
        configuration.workers = 2
        configuration.prefetch = 32
        configuration.retryPolicy = RetryPolicy(maximumAttempts: retryAttempts, initialDelay: .milliseconds(50), multiplier: 2, maximumDelay: .seconds(1))
        configuration.relayInterval = .milliseconds(100)
        configuration.relayGrace = .milliseconds(500)
        configuration.deadlinePollInterval = .milliseconds(50)
        self.configuration = configuration
        definition = try EchoService.definition(name: name, schema: name)
    }

    var topology: ServiceTopology {
        ServiceTopology(exchange: exchange, service: name, bindings: definition.bindings, retryPolicy: configuration.retryPolicy)
    }

    /// The environment a `choreography-echo` child process needs to be this service.
    var childEnvironment: [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["ECHO_NAME"] = name
        environment["ECHO_SCHEMA"] = name
        environment["AMQP_URL"] = amqpURL
        environment["DATABASE_URL"] = databaseURL
        environment["EVENT_EXCHANGE"] = exchange
        environment["WORKERS"] = "2"
        environment["RETRY_MAX_ATTEMPTS"] = "3"
        environment["RETRY_INITIAL_DELAY_MS"] = "50"
        environment["RETRY_MULTIPLIER"] = "2"
        environment["OUTBOX_RELAY_INTERVAL_MS"] = "100"
        environment["OUTBOX_RELAY_GRACE_MS"] = "500"
        environment["LOG_LEVEL"] = "warning"
        return environment
    }

    /// Runs `instances` runtimes in this process while `body` runs, then cancels them.
    func withRunningService<T: Sendable>(instances: Int = 1, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        let runtimes = (0..<instances).map { index in
            ChoreographyRuntime(
                definition: definition, configuration: configuration,
                logger: Logger(label: "\(name).\(index)") { label in
                    // TEST_LOG=1 shows the runtimes' logs on standard error.
                    ProcessInfo.processInfo.environment["TEST_LOG"] == "1"
                        ? StreamLogHandler.standardError(label: label) as any LogHandler : SwiftLogNoOpLogHandler()
                })
        }
        return try await withThrowingTaskGroup(of: T?.self) { group in
            for runtime in runtimes {
                group.addTask {
                    try await runtime.run(handleSignals: false)
                    return nil
                }
            }
            try await waitUntil("runtimes ready", timeout: .seconds(60)) { runtimes.allSatisfy { $0.health.isReady } }
            group.addTask { try await body() }
            // The body's result is the first non-nil value; the runtimes only end by cancellation.
            while let next = try await group.next() {
                if let value = next {
                    group.cancelAll()
                    return value
                }
            }
            throw HarnessError("runtimes ended before the test body")
        }
    }

    /// Declares the service's queues and bindings ahead of the runtime, so events published
    /// before it starts wait in its work queue.
    func declareTopology() async throws {
        let connection = try await AMQPConnection.connect(url: amqpURL)
        try await topology.declare(on: connection)
        await connection.close()
    }

    /// Declares the exchange and a capture queue for the events the service emits.
    func captureQueue(_ keys: [String] = ["account.validated", "delivery.scheduling-failed"]) async throws -> String {
        let connection = try await AMQPConnection.connect(url: amqpURL)
        let queue = "\(name).capture"
        try await connection.declareExchange(exchange, type: .topic)
        try await connection.declareQueue(queue, options: AMQPQueueOptions(durable: true))
        for key in keys { try await connection.bindQueue(queue, exchange: exchange, routingKey: key) }
        await connection.close()
        return queue
    }

    /// A `delivery.requested` envelope body.
    func request(owner: String, eventId: UUID = UUID(), deliveryId: UUID = UUID()) throws -> AMQPOutgoingMessage {
        var payload = DeliveryRequested.sample()
        payload.ownerId = owner
        let envelope = EventEnvelope(id: eventId, deliveryId: deliveryId, causationId: nil, data: payload)
        let body = try EventCoding.makeEncoder().encode(envelope)
        return AMQPOutgoingMessage(
            exchange: exchange, routingKey: "delivery.requested", body: Array(body),
            properties: AMQPProperties(
                contentType: "application/json", persistent: true, correlationId: deliveryId.uuidString.lowercased(),
                messageId: eventId.uuidString.lowercased(), type: "delivery.requested"))
    }

    /// Publishes messages with confirms to the service's exchange (declaring it first).
    func publish(_ messages: [AMQPOutgoingMessage]) async throws {
        let connection = try await AMQPConnection.connect(url: amqpURL)
        try await connection.declareExchange(exchange, type: .topic)
        let outcomes = try await connection.publish(messages)
        #expect(outcomes.allSatisfy { $0 == .confirmed })
        await connection.close()
    }

    /// Reads every message currently in `queue` (acking them).
    func drain(_ queue: String, expecting count: Int, timeout: Duration = .seconds(30)) async throws -> [AMQPDelivery] {
        let connection = try await AMQPConnection.connect(url: amqpURL)
        try await connection.setPrefetch(500)
        try await connection.consume(queue: queue)
        var received: [AMQPDelivery] = []
        let deadline = ContinuousClock.now + timeout
        while received.count < count, ContinuousClock.now < deadline {
            let batch = try await connection.nextDeliveries(maximum: 500, timeout: .milliseconds(200))
            for delivery in batch { try await connection.ack(delivery) }
            received += batch
        }
        // Anything beyond the expected count that arrives shortly after is a duplicate: take it too.
        let extra = try await connection.nextDeliveries(maximum: 500, timeout: .milliseconds(300))
        for delivery in extra { try await connection.ack(delivery) }
        await connection.close()
        return received + extra
    }

    /// How many messages wait in a queue.
    func depth(_ queue: String) async throws -> Int {
        let connection = try await AMQPConnection.connect(url: amqpURL)
        let count = try await connection.inspectQueue(queue).messageCount
        await connection.close()
        return Int(count)
    }

    /// Runs a query in the service's schema.
    func query(_ sql: String, _ parameters: [PostgresValue] = []) async throws -> PostgresRows {
        let connection = try await PostgresConnection.connect(url: databaseURL)
        _ = try await connection.simpleQuery("SET search_path TO \(name)")
        let rows = try await connection.query(sql, parameters)
        await connection.close()
        return rows
    }

    /// A count from the service's schema.
    func count(_ sql: String, _ parameters: [PostgresValue] = []) async throws -> Int {
        try await query(sql, parameters)[0].decode(Int.self, at: 0)
    }

    /// Removes the test's queues, exchange and schema.
    func cleanUp() async throws {
        let connection = try await AMQPConnection.connect(url: amqpURL)
        for queue in [topology.workQueue, topology.parkedQueue, "\(name).capture"]
            + (1..<configuration.retryPolicy.maximumAttempts).map(topology.retryQueue(afterAttempt:)) {
            _ = try? await connection.deleteQueue(queue)
        }
        try? await connection.deleteExchange(exchange)
        await connection.close()
        let database = try await PostgresConnection.connect(url: databaseURL)
        _ = try await database.simpleQuery("DROP SCHEMA IF EXISTS \(name) CASCADE")
        await database.close()
    }
}
