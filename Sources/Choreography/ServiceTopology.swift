public import AMQP

/// The broker objects one service uses: its work queue bound to the event keys it handles, one
/// delay queue per retry step (TTL, then dead-lettered back to the work queue), and a parking
/// queue for messages that will not succeed.
///
/// For a service `package` with the default policy: `package.events`, `package.retry.1000ms`,
/// `package.retry.4000ms`, … and `package.parked`.
public struct ServiceTopology: Sendable, Hashable {
    /// The topic exchange all domain events go through.
    public var exchange: String
    /// The exchange the work queue is bound to: `exchange`, except under the schedule harness.
    public var bindingExchange: String
    /// The service's name, the prefix of its queues.
    public var service: String
    /// The routing keys (or topic patterns, e.g. `#`) the work queue is bound to.
    public var bindings: [String]
    /// Retry timing; one delay queue per possible retry.
    public var retryPolicy: RetryPolicy
    /// Classic or quorum work and parking queues.
    public var queueKind: AMQPQueueOptions.Kind

    /// Describes a service's topology.
    public init(
        exchange: String, service: String, bindings: [String], retryPolicy: RetryPolicy, queueKind: AMQPQueueOptions.Kind = .classic,
        bindingExchange: String? = nil
    ) {
        self.exchange = exchange
        self.bindingExchange = bindingExchange ?? exchange
        self.service = service
        self.bindings = bindings
        self.retryPolicy = retryPolicy
        self.queueKind = queueKind
    }

    /// The queue the service's consumers take events from.
    public var workQueue: String { "\(service).events" }
    /// Where messages that will not succeed wait for an operator.
    public var parkedQueue: String { "\(service).parked" }

    /// The delay queue a message waits in after failed attempt `attempt`. Named by its delay, so
    /// a changed retry policy declares new queues instead of clashing with the old ones' TTL.
    public func retryQueue(afterAttempt attempt: Int) -> String {
        "\(service).retry.\(retryPolicy.delay(afterAttempt: attempt).milliseconds)ms"
    }

    /// Declares the exchange, the queues and the bindings; idempotent.
    public func declare(on connection: AMQPConnection) async throws {
        try await connection.declareEventExchanges(exchange, bindingExchange: bindingExchange)
        try await connection.declareWorkQueue(workQueue, kind: queueKind, boundTo: bindings, on: bindingExchange)
        try await connection.declareQueue(parkedQueue, options: AMQPQueueOptions(kind: queueKind))
        for attempt in 1..<retryPolicy.maximumAttempts {
            try await connection.declareQueue(retryQueue(afterAttempt: attempt), options: AMQPQueueOptions(
                deadLetterExchange: "", deadLetterRoutingKey: workQueue,
                messageTTLMilliseconds: retryPolicy.delay(afterAttempt: attempt).milliseconds))
        }
    }
}

extension AMQPConnection {
    /// Declares the durable topic exchange events are published to and, when it differs, the one
    /// work queues are bound to — each only if it does not exist yet, so that a service's own
    /// broker user, which may not configure the exchange, finds the one its setup declared.
    func declareEventExchanges(_ exchange: String, bindingExchange: String) throws {
        for name in Set([exchange, bindingExchange]) where try !exchangeExists(name) {
            try declareExchange(name, type: .topic, durable: true)
        }
    }

    /// Whether an exchange exists (a passive declare, which needs no configure permission).
    func exchangeExists(_ name: String) throws -> Bool {
        do {
            try inspectExchange(name)
            return true
        } catch let error as AMQPError where error.replyCode == 404 {
            return false
        }
    }

    /// Whether a queue exists (a passive declare, which needs no configure permission).
    func queueExists(_ name: String) throws -> Bool {
        do {
            _ = try inspectQueue(name)
            return true
        } catch let error as AMQPError where error.replyCode == 404 {
            return false
        }
    }

    /// Declares a service's work queue and binds it to each routing key (or pattern) on `exchange`.
    func declareWorkQueue(_ queue: String, kind: AMQPQueueOptions.Kind, boundTo bindings: [String], on exchange: String) throws {
        try declareQueue(queue, options: AMQPQueueOptions(kind: kind))
        for binding in bindings { try bindQueue(queue, exchange: exchange, routingKey: binding) }
    }
}

extension Duration {
    /// Whole milliseconds.
    package var milliseconds: Int {
        let (seconds, attoseconds) = components
        return Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000)
    }
}
