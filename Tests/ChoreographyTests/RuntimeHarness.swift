import AMQP
import Choreography
import Contracts
import EchoService
import Foundation
import IntegrationSupport
import ServiceTestSupport
import Logging
import Postgres
import Testing

/// The echo service in a `ServiceHarness` (its own queue prefix, schema and exchange on the real
/// servers), plus what the runtime's tests need: requests, and the environment of a
/// `choreography-echo` child process that is the same service.
struct EchoHarness {
    var service: ServiceHarness

    /// An echo service (`everyEventHasAQueue`: see ``ServiceHarness``); `eventsPerTransaction` overrides the echo definition's 16, `workers` the harness's 2.
    init(retryAttempts: Int = 3, eventsPerTransaction: Int? = nil, workers: Int? = nil, everyEventHasAQueue: Bool = true) throws {
        service = try ServiceHarness(retryAttempts: retryAttempts, everyEventHasAQueue: everyEventHasAQueue) { name, schema in
            try EchoService.definition(name: name, schema: schema)
        } configure: { configuration in
            configuration.eventsPerTransaction = eventsPerTransaction
            if let workers { configuration.workers = workers }
        }
    }

    var name: String { service.name }
    var exchange: String { service.exchange }
    var amqpURL: String { service.amqpURL }
    var databaseURL: String { service.databaseURL }
    var topology: ServiceTopology { service.topology }
    var eventsHandled: Int { service.eventsHandled }
    var duplicatesSkipped: Int { service.duplicatesSkipped }
    func sharedTransactions(_ outcome: String) -> Int { service.sharedTransactions(outcome) }

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
        environment["OUTBOX_SWEEP_INTERVAL_MS"] = "5"
        environment["LOG_LEVEL"] = "warning"
        return environment
    }

    /// Runs `instances` runtimes in this process while `body` runs, then stops them gracefully.
    func withRunningService<T: Sendable>(instances: Int = 1, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        try await service.withRunningService(instances: instances, body)
    }

    /// Declares the service's queues ahead of the runtime, so events published before it starts wait.
    func declareTopology() async throws { try await service.declareTopology() }

    /// A capture queue for the events the echo service emits.
    func captureQueue(_ keys: [String] = ["account.validated", "delivery.scheduling-failed"]) async throws -> String {
        try await service.captureQueue(keys)
    }

    /// A `delivery.requested` message, as ingestion publishes it.
    func request(owner: String, eventId: UUID = UUID(), deliveryId: UUID = UUID()) throws -> AMQPOutgoingMessage {
        var payload = DeliveryRequested.sample()
        payload.ownerId = owner
        return try EventMessage.make(payload, id: eventId, deliveryId: deliveryId, exchange: exchange)
    }

    /// Publishes messages with confirms to the service's exchange.
    func publish(_ messages: [AMQPOutgoingMessage]) async throws { try await service.publishMessages(messages) }

    /// Reads every message in `queue` (one per message id), with properties and headers.
    func drain(_ queue: String, expecting count: Int, timeout: Duration = .seconds(30)) async throws -> [AMQPDelivery] {
        try await service.drainMessages(queue, expecting: count, timeout: timeout)
    }

    func depth(_ queue: String) async throws -> Int { try await service.depth(queue) }
    func consumerCount(_ queue: String) async throws -> Int { try await service.consumerCount(queue) }
    func deleteQueue(_ queue: String) async throws { try await service.deleteQueue(queue) }
    func query(_ sql: String, _ parameters: [PostgresValue] = []) async throws -> PostgresRows { try await service.query(sql, parameters) }
    func count(_ sql: String, _ parameters: [PostgresValue] = []) async throws -> Int { try await service.count(sql, parameters) }
    func cleanUp() async throws { try await service.cleanUp() }
}
