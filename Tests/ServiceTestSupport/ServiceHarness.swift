package import AMQP
package import Choreography
package import Contracts
package import Foundation
@_exported import IntegrationSupport
import Logging
import ServiceLifecycleTestKit
package import Postgres
package import ServiceHTTP
package import Tracing

/// One isolated instance of a service for a test, on the real servers: its own queue prefix,
/// schema and exchange (`t_xxxxxxxx`, `test.xxxxxxxx.events`), runtimes run in-process, events
/// injected as their producers would publish them, and what the service emits captured.
package struct ServiceHarness: Sendable {
    /// Queue prefix and schema name.
    package let name: String
    /// The test's own topic exchange.
    package let exchange: String
    package let amqpURL: String
    package let databaseURL: String
    /// The runtime configuration (fast retries, relay and deadline polling).
    package var configuration: ChoreographyConfiguration
    /// The service under test, built for `name`.
    package let definition: ServiceDefinition
    /// HTTP routes the service serves (set `configuration.httpPort` too, e.g. to `freePort()`).
    package var routes: ChoreographyRuntime.ServiceRoutes?
    /// Whether a sink queue takes every event on the test exchange, as history's queue does in
    /// the real system. Publishes are mandatory, so without it an event no test queue is bound to
    /// is returned and stays in the outbox.
    package let everyEventHasAQueue: Bool
    /// The runtimes' tracer (e.g. an in-memory one); nil for none.
    package var tracer: (any Tracer)?

    /// A harness for the service `make(name, schema)` builds; `configure` adjusts the runtime.
    package init(
        retryAttempts: Int = 3, everyEventHasAQueue: Bool = true,
        _ make: (_ name: String, _ schema: String) throws -> ServiceDefinition,
        configure: (inout ChoreographyConfiguration) -> Void = { _ in }
    ) throws {
        let suffix = UUID().uuidString.prefix(8).lowercased()
        name = "t_\(suffix)"
        self.everyEventHasAQueue = everyEventHasAQueue
        exchange = "test.\(suffix).events"
        amqpURL = try TestServers.amqpURL()
        databaseURL = try TestServers.databaseURL()
        var configuration = ChoreographyConfiguration(schema: name)
        configuration.amqpURL = amqpURL
        configuration.databaseURL = databaseURL
        configuration.exchange = exchange
        configuration.workers = 2
        configuration.prefetch = 32
        configuration.retryPolicy = RetryPolicy(
            maximumAttempts: retryAttempts, initialDelay: .milliseconds(50), multiplier: 2, maximumDelay: .seconds(1))
        configuration.relayInterval = .milliseconds(100)
        configuration.relayGrace = .seconds(2)
        configuration.outboxSweepInterval = .milliseconds(5)
        configuration.deadlinePollInterval = .milliseconds(50)
        configure(&configuration)
        self.configuration = configuration
        definition = try make(name, name)
        RuntimeCounters.install()
    }

    /// Events this harness's runtimes handled so far (committed with their effects).
    package var eventsHandled: Int { RuntimeCounters.total("fabrikam_events_handled_total", service: definition.name) }
    /// Events this harness's runtimes recognised as duplicates (already in the inbox) and skipped.
    package var duplicatesSkipped: Int { RuntimeCounters.total("fabrikam_events_duplicates_total", service: definition.name) }
    /// Transactions of several events this harness's runtimes ended with `outcome` (`committed`,
    /// `redone-one-by-one`, `redone-without-duplicates`).
    package func sharedTransactions(_ outcome: String) -> Int {
        RuntimeCounters.total("fabrikam_shared_transactions_total", service: definition.name, ("outcome", outcome))
    }

    /// The service's queues on the test exchange.
    package var topology: ServiceTopology {
        ServiceTopology(exchange: exchange, service: name, bindings: definition.bindings, retryPolicy: configuration.retryPolicy)
    }

    /// Runs `instances` runtimes in this process while `body` runs, then stops them gracefully, as
    /// SIGTERM stops a daemon: they finish what they hold, the relay publishes what is left and
    /// the sweeper deletes what was published, so the outbox is empty when this returns.
    /// `TEST_LOG=1` shows their logs on standard error.
    package func withRunningService<T: Sendable>(instances: Int = 1, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        let runtimes = (0..<instances).map { index in
            var runtime = ChoreographyRuntime(
                definition: definition, configuration: configuration,
                logger: Logger(label: "\(name).\(index)") { label in
                    ProcessInfo.processInfo.environment["TEST_LOG"] == "1"
                        ? StreamLogHandler.standardError(label: label) as any LogHandler : SwiftLogNoOpLogHandler()
                },
                registry: nil, routes: routes)
            runtime.tracer = tracer
            return runtime
        }
        let connection = try await AMQPConnection.connect(url: amqpURL)
        try await prepareExchange(on: connection)
        await connection.close()
        // The runtimes' service groups follow this graceful shutdown, as a nested group follows its parent's.
        return try await testGracefulShutdown { shutdown in
            try await withThrowingTaskGroup(of: T?.self) { group in
                for runtime in runtimes {
                    group.addTask {
                        try await runtime.run(handleSignals: false)
                        return nil
                    }
                }
                try await waitUntil("runtimes ready", timeout: .seconds(60)) { runtimes.allSatisfy { $0.health.isReady } }
                group.addTask { try await body() }
                var result: T?
                while let next = try await group.next() {
                    if let value = next {
                        result = value
                        shutdown.triggerGracefulShutdown()
                    }
                }
                guard let result else { throw HarnessError("runtimes ended before the test body") }
                return result
            }
        }
    }

    /// Declares the service's queues and bindings ahead of the runtime, so events published
    /// before it starts wait in its work queue (use it to stage an adversarial order).
    package func declareTopology() async throws {
        let connection = try await AMQPConnection.connect(url: amqpURL)
        try await prepareExchange(on: connection)
        try await topology.declare(on: connection)
        await connection.close()
    }

    /// The sink queue (see ``everyEventHasAQueue``): bound to every event, messages expire at once.
    package var sinkQueue: String { "\(name).sink" }

    /// Declares the test exchange and, unless the test wants unroutable events, the sink queue.
    private func prepareExchange(on connection: AMQPConnection) async throws {
        try await connection.declareExchange(exchange, type: .topic)
        guard everyEventHasAQueue else { return }
        try await connection.declareQueue(sinkQueue, options: AMQPQueueOptions(messageTTLMilliseconds: 0))
        try await connection.bindQueue(sinkQueue, exchange: exchange, routingKey: "#")
    }

    /// Declares a capture queue bound to `keys` on the test exchange; returns its name.
    package func captureQueue(_ keys: [String] = ["#"]) async throws -> String {
        let connection = try await AMQPConnection.connect(url: amqpURL)
        let queue = "\(name).capture"
        try await prepareExchange(on: connection)
        try await connection.declareQueue(queue, options: AMQPQueueOptions(durable: true))
        for key in keys { try await connection.bindQueue(queue, exchange: exchange, routingKey: key) }
        await connection.close()
        return queue
    }

    /// Publishes `event` for `deliveryId` as its producer would (envelope, properties, headers,
    /// confirms); returns the event id. Publishing the same `id` twice makes a duplicate.
    @discardableResult
    package func publish<Event: DomainEvent>(
        _ event: Event, deliveryId: UUID, id: UUID = UUID(), causationId: UUID? = nil
    ) async throws -> UUID {
        try await publishMessages([try EventMessage.make(event, id: id, deliveryId: deliveryId, causationId: causationId, exchange: exchange)])
        return id
    }

    /// Publishes raw messages with confirms on the test exchange.
    package func publishMessages(_ messages: [AMQPOutgoingMessage]) async throws {
        let connection = try await AMQPConnection.connect(url: amqpURL)
        try await prepareExchange(on: connection)
        let outcomes = try await connection.publish(messages)
        await connection.close()
        guard outcomes.allSatisfy({ $0 == .confirmed }) else { throw HarnessError("publish not confirmed: \(outcomes)") }
    }

    /// Reads (and acks) messages from `queue` until `count` distinct events arrived or `timeout`
    /// passed, plus any that arrive shortly after; returns one envelope per event id, in arrival
    /// order. (The outbox publishes at least once: a second copy of an event id — the relay taking
    /// a row the fast path also sent — is the same event, not a second effect.)
    package func drain(_ queue: String, expecting count: Int, timeout: Duration = .seconds(30)) async throws -> [AnyEventEnvelope] {
        try await drainMessages(queue, expecting: count, timeout: timeout)
            .map { try EventCoding.makeDecoder().decode(AnyEventEnvelope.self, from: Data($0.body)) }
    }

    /// `drain(_:expecting:timeout:)` as raw deliveries (properties and headers), one per message id.
    package func drainMessages(_ queue: String, expecting count: Int, timeout: Duration = .seconds(30)) async throws -> [AMQPDelivery] {
        let connection = try await AMQPConnection.connect(url: amqpURL)
        try await connection.setPrefetch(500)
        try await connection.consume(queue: queue)
        var messages: [AMQPDelivery] = []
        var seen = Set<String>()
        func take(_ batch: [AMQPDelivery]) async throws {
            for delivery in batch {
                try await connection.ack(delivery)
                if seen.insert(delivery.properties.messageId ?? "\(delivery.deliveryTag)").inserted { messages.append(delivery) }
            }
        }
        let deadline = ContinuousClock.now + timeout
        while messages.count < count, ContinuousClock.now < deadline {
            try await take(try await connection.nextDeliveries(maximum: 500, timeout: .milliseconds(200)))
        }
        try await take(try await connection.nextDeliveries(maximum: 500, timeout: .milliseconds(300)))
        await connection.close()
        return messages
    }

    /// A new connection whose `search_path` is the service's schema, named `applicationName` in
    /// `pg_stat_activity` when given (for tests that wait on its state); the caller closes it.
    package func connectToSchema(applicationName: String? = nil) async throws -> PostgresConnection {
        let connection = try await PostgresConnection.connect(url: databaseURL, applicationName: applicationName)
        _ = try await connection.simpleQuery("SET search_path TO \(name)")
        return connection
    }

    /// Runs a query with `search_path` set to the service's schema.
    package func query(_ sql: String, _ parameters: [PostgresValue] = []) async throws -> PostgresRows {
        let connection = try await connectToSchema()
        let rows = try await connection.query(sql, parameters)
        await connection.close()
        return rows
    }

    /// A count (the first column of the first row) from the service's schema.
    package func count(_ sql: String, _ parameters: [PostgresValue] = []) async throws -> Int {
        try await query(sql, parameters)[0].decode(Int.self, at: 0)
    }

    /// How many messages wait in a queue.
    package func depth(_ queue: String) async throws -> Int {
        let connection = try await AMQPConnection.connect(url: amqpURL)
        let count = try await connection.inspectQueue(queue).messageCount
        await connection.close()
        return Int(count)
    }

    /// How many consumers the broker counts on `queue`.
    package func consumerCount(_ queue: String) async throws -> Int {
        let connection = try await AMQPConnection.connect(url: amqpURL)
        let count = try await connection.inspectQueue(queue).consumerCount
        await connection.close()
        return Int(count)
    }

    /// Deletes a queue, as an operator (or a broker policy) might under a running service.
    package func deleteQueue(_ queue: String) async throws {
        let connection = try await AMQPConnection.connect(url: amqpURL)
        _ = try await connection.deleteQueue(queue)
        await connection.close()
    }

    /// How many messages the service parked.
    package func parkedCount() async throws -> Int { try await depth(topology.parkedQueue) }

    /// Removes the test's queues, exchange and schema.
    package func cleanUp() async throws {
        let connection = try await AMQPConnection.connect(url: amqpURL)
        for queue in [topology.workQueue, topology.parkedQueue, "\(name).capture", sinkQueue]
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
