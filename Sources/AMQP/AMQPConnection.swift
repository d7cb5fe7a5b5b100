import DedicatedThread
public import Logging

/// One AMQP 0-9-1 connection to RabbitMQ with one channel, over rabbitmq-c.
///
/// Threading: the actor runs on its own `DedicatedThreadExecutor`, so every rabbitmq-c call —
/// including the blocking ones (connect, RPCs, waiting for deliveries or confirms) — happens on
/// that one OS thread, never on Swift's cooperative pool, and the C connection is never used by
/// two threads. Calls from many tasks queue up behind each other; for parallelism open several
/// connections (for example one for consuming and one for publishing).
///
/// The channel is reopened on the next call after the broker closed it (for example after a
/// 404 on a missing exchange), re-applying confirm mode, prefetch and consumers; after the
/// connection is lost, `reconnect(policy:)` opens a new one and re-applies the same.
public actor AMQPConnection {
    private let executor: DedicatedThreadExecutor
    private let handle: AMQPConnectionHandle
    private let logger: Logger

    public nonisolated var unownedExecutor: UnownedSerialExecutor {
        executor.asUnownedSerialExecutor()
    }

    private init(configuration: AMQPConfiguration, logger: Logger) {
        self.executor = DedicatedThreadExecutor(name: "amqp \(configuration.host):\(configuration.port)")
        self.handle = AMQPConnectionHandle(configuration: configuration)
        self.logger = logger
    }

    /// Runs on the connection's own thread, so the polite close never blocks Swift's pool.
    isolated deinit {
        handle.close()
        executor.shutdown()
    }

    /// Connects and logs in, and opens the channel; throws `AMQPError` (`.connectionFailed`, ...).
    public static func connect(_ configuration: AMQPConfiguration, logger: Logger = Logger(label: "amqp")) async throws -> AMQPConnection {
        let connection = AMQPConnection(configuration: configuration, logger: logger)
        try await connection.open()
        return connection
    }

    /// Connects to the broker at an `amqp://` URL.
    public static func connect(url: String, logger: Logger = Logger(label: "amqp")) async throws -> AMQPConnection {
        try await connect(AMQPConfiguration(url: url), logger: logger)
    }

    private func open() throws {
        try handle.open()
        logger.debug("AMQP connected", metadata: ["amqp.broker": "\(handle.configuration)"])
    }

    /// The configuration this connection was made with (the password is not printed).
    public nonisolated var configuration: AMQPConfiguration { handle.configuration }

    /// Whether the connection is open (a lost connection shows as closed once noticed).
    public var isOpen: Bool { handle.isOpen }

    /// Closes the channel and the connection. Further calls throw `.notConnected`.
    public func close() {
        handle.close()
    }

    /// Replaces a lost connection, retrying with exponential backoff; re-applies confirm mode,
    /// prefetch and consumers. Topology must be declared again by the caller.
    public func reconnect(policy: AMQPReconnectPolicy = AMQPReconnectPolicy()) async throws {
        var delay = policy.initialDelay
        var attempt = 0
        while true {
            attempt += 1
            do {
                try handle.reopen()
                logger.info("AMQP reconnected", metadata: ["amqp.broker": "\(handle.configuration)", "amqp.attempt": "\(attempt)"])
                return
            } catch let error as AMQPError {
                guard attempt < policy.maximumAttempts else { throw error }
                logger.info("AMQP reconnect failed; retrying", metadata: [
                    "amqp.broker": "\(handle.configuration)", "amqp.attempt": "\(attempt)", "error.message": "\(error)",
                ])
                try await Task.sleep(for: delay)
                delay = min(policy.maximumDelay, delay * 2)
            }
        }
    }

    // MARK: Topology

    /// Declares an exchange (durable topic by default); idempotent for equal arguments.
    public func declareExchange(
        _ name: String, type: AMQPExchangeType = .topic, durable: Bool = true, autoDelete: Bool = false,
        isInternal: Bool = false, arguments: AMQPTable = [:]
    ) throws {
        try handle.declareExchange(name, type: type, durable: durable, autoDelete: autoDelete, isInternal: isInternal, arguments: arguments)
    }

    /// Checks that an exchange exists without declaring it (needs no configure permission);
    /// `.channelClosed` with 404 if it does not exist.
    public func inspectExchange(_ name: String) throws {
        try handle.declareExchange(name, type: .topic, durable: true, autoDelete: false, isInternal: false, arguments: [:], passive: true)
    }

    /// Deletes an exchange.
    public func deleteExchange(_ name: String) throws {
        try handle.deleteExchange(name)
    }

    /// Declares a queue and returns its name and counts; "" lets the broker choose a name.
    @discardableResult
    public func declareQueue(_ name: String, options: AMQPQueueOptions = AMQPQueueOptions()) throws -> AMQPQueueState {
        try handle.declareQueue(name, options: options, passive: false)
    }

    /// Reads a queue's counts without changing it; `.channelClosed` with 404 if it does not exist.
    public func inspectQueue(_ name: String) throws -> AMQPQueueState {
        try handle.declareQueue(name, options: AMQPQueueOptions(), passive: true)
    }

    /// Binds a queue to an exchange with a routing key (a pattern for topic exchanges).
    public func bindQueue(_ queue: String, exchange: String, routingKey: String, arguments: AMQPTable = [:]) throws {
        try handle.bindQueue(queue, exchange: exchange, routingKey: routingKey, arguments: arguments)
    }

    /// Removes a binding.
    public func unbindQueue(_ queue: String, exchange: String, routingKey: String, arguments: AMQPTable = [:]) throws {
        try handle.unbindQueue(queue, exchange: exchange, routingKey: routingKey, arguments: arguments)
    }

    /// Drops a queue's ready messages; returns how many.
    @discardableResult
    public func purgeQueue(_ name: String) throws -> UInt32 {
        try handle.purgeQueue(name)
    }

    /// Deletes a queue; returns how many messages it held.
    @discardableResult
    public func deleteQueue(_ name: String) throws -> UInt32 {
        try handle.deleteQueue(name)
    }

    // MARK: Publishing
    //
    // Every message published carries the connection's login user as its AMQP `user_id`
    // (whatever the message says): RabbitMQ refuses any other, and consumers rely on it to know
    // who published an event.

    /// Publishes messages with publisher confirms, pipelined: up to `window` are unconfirmed at
    /// once. Returns each message's outcome in order. A mandatory message that no queue takes is
    /// `.returned` (matched by its message id). Throws if the channel or connection closes
    /// before every message is settled; then any of them may or may not have been taken.
    public func publish(_ messages: [AMQPOutgoingMessage], window: Int = 512, timeout: Duration = .seconds(30)) throws -> [AMQPPublishOutcome] {
        try handle.publishConfirmed(messages, window: window, timeout: timeout)
    }

    /// Publishes one message and waits for its confirm.
    public func publish(_ message: AMQPOutgoingMessage, timeout: Duration = .seconds(30)) throws -> AMQPPublishOutcome {
        try handle.publishConfirmed([message], window: 1, timeout: timeout)[0]
    }

    /// Publishes without waiting for a confirm (the channel must not be in confirm mode for the
    /// broker to skip confirming; use only where loss is acceptable).
    public func publishWithoutConfirm(_ message: AMQPOutgoingMessage) throws {
        try handle.publishUnconfirmed(message)
    }

    // MARK: Consuming

    /// Limits how many unacknowledged deliveries the broker sends this channel.
    public func setPrefetch(_ count: UInt16) throws {
        try handle.setPrefetch(count)
    }

    /// Starts consuming a queue with manual acknowledgement; returns the consumer tag.
    @discardableResult
    public func consume(queue: String, consumerTag: String = "", exclusive: Bool = false, arguments: AMQPTable = [:]) throws -> String {
        try handle.startConsuming(queue: queue, consumerTag: consumerTag, exclusive: exclusive, arguments: arguments)
    }

    /// Whether this connection has a consumer of `queue` (consumers survive reconnects and new
    /// channels, except one the broker cancelled or whose queue was gone on re-registration).
    public func isConsuming(queue: String) -> Bool {
        handle.isConsuming(queue: queue)
    }

    /// Stops a consumer; deliveries already sent stay unacknowledged until acked or the channel closes.
    public func cancelConsumer(_ consumerTag: String) throws {
        try handle.cancelConsumer(consumerTag)
    }

    /// Waits up to `timeout` for deliveries and returns up to `maximum` of them (empty on timeout).
    /// Keep `timeout` short: other calls on this connection wait while it blocks.
    public func nextDeliveries(maximum: Int = 64, timeout: Duration = .milliseconds(200)) throws -> [AMQPDelivery] {
        try handle.nextDeliveries(maximum: maximum, timeout: timeout)
    }

    /// Waits up to `timeout` for one delivery.
    public func nextDelivery(timeout: Duration = .milliseconds(200)) throws -> AMQPDelivery? {
        try handle.nextDeliveries(maximum: 1, timeout: timeout).first
    }

    /// Acknowledges a delivery (and every earlier one on the channel when `multiple`).
    public func ack(_ delivery: AMQPDelivery, multiple: Bool = false) throws {
        try handle.ack(delivery, multiple: multiple)
    }

    /// Negatively acknowledges; without requeue the message is dead-lettered (or dropped if the
    /// queue has no dead-letter exchange).
    public func nack(_ delivery: AMQPDelivery, multiple: Bool = false, requeue: Bool) throws {
        try handle.nack(delivery, multiple: multiple, requeue: requeue)
    }

    /// Rejects one delivery; without requeue it is dead-lettered.
    public func reject(_ delivery: AMQPDelivery, requeue: Bool) throws {
        try handle.reject(delivery, requeue: requeue)
    }

    /// Reads pending frames and services heartbeats without blocking; call it on an idle
    /// connection more often than the heartbeat interval so the broker does not drop it.
    public func poll() throws {
        try handle.poll()
    }
}

/// How `AMQPConnection.reconnect` retries: exponential backoff between attempts.
public struct AMQPReconnectPolicy: Sendable {
    /// Attempts before giving up.
    public var maximumAttempts: Int
    /// Delay after the first failed attempt; doubles each time.
    public var initialDelay: Duration
    /// The longest delay between attempts.
    public var maximumDelay: Duration

    /// Defaults: 30 attempts, 100 ms growing to 5 s.
    public init(maximumAttempts: Int = 30, initialDelay: Duration = .milliseconds(100), maximumDelay: Duration = .seconds(5)) {
        self.maximumAttempts = maximumAttempts
        self.initialDelay = initialDelay
        self.maximumDelay = maximumDelay
    }
}
