public import AMQP
public import Contracts

/// Every work queue of the saga with its bindings, derived from ``EventCatalog``: each consuming
/// service's `<prefix><service>.events` bound to the event types it consumes (history to every
/// event). Each service declares all of it before it publishes or consumes, so an event never
/// finds no queue because its consumers have not started yet; publishes are `mandatory`, so an
/// event that still finds none (a queue deleted by hand) stays in the outbox.
public struct SagaTopology: Sendable, Hashable {
    /// The topic exchange.
    public var exchange: String
    /// Put before every service's queue names (`QUEUE_PREFIX`).
    public var queuePrefix: String
    /// Classic or quorum work queues (every service must use the same kind).
    public var queueKind: AMQPQueueOptions.Kind
    /// The exchange the work queues are bound to: `exchange`, except under the schedule harness.
    public var bindingExchange: String

    /// The saga's topology on `exchange` with queues named `<queuePrefix><service>.events`.
    public init(exchange: String, queuePrefix: String, queueKind: AMQPQueueOptions.Kind = .classic, bindingExchange: String? = nil) {
        self.exchange = exchange
        self.queuePrefix = queuePrefix
        self.queueKind = queueKind
        self.bindingExchange = bindingExchange ?? exchange
    }

    /// The routing keys (or patterns) a saga service's work queue is bound to; none for a service
    /// that consumes nothing (ingestion).
    public static func bindings(of service: Producer) -> [String] {
        service == .history ? [EventExchange.everyEvent] : EventCatalog.consumedTypes(by: service).map(\.rawValue).sorted()
    }

    /// The work queue of a saga service, `<queuePrefix><service>.events`; nil for one that
    /// consumes nothing (ingestion).
    public func workQueue(of service: Producer) -> String? {
        Self.bindings(of: service).isEmpty ? nil : "\(queuePrefix)\(service.rawValue).events"
    }

    /// Each consuming service's work queue and its bindings.
    public var workQueues: [(queue: String, bindings: [String])] {
        Producer.all.compactMap { service in workQueue(of: service).map { ($0, Self.bindings(of: service)) } }
    }

    /// Declares the exchange, every work queue and every binding; idempotent. Needs a broker user
    /// that may configure every service's queues (the setup's, `AMQP_ADMIN_URL`).
    public func declare(on connection: AMQPConnection) async throws {
        try await declare(on: connection, onlyMissing: false)
    }

    /// Declares only the work queues that do not exist yet (with their bindings): a service's own
    /// broker user passes where the setup declared everything, and a user with full rights
    /// (a test's) still gets every queue before it publishes.
    public func declareMissing(on connection: AMQPConnection) async throws {
        try await declare(on: connection, onlyMissing: true)
    }

    private func declare(on connection: AMQPConnection, onlyMissing: Bool) async throws {
        try await connection.declareEventExchanges(exchange, bindingExchange: bindingExchange)
        for (queue, bindings) in workQueues {
            if onlyMissing, try await connection.queueExists(queue) { continue }
            try await connection.declareWorkQueue(queue, kind: queueKind, boundTo: bindings, on: bindingExchange)
        }
    }
}
