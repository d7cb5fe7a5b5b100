/// The kind of an exchange.
public struct AMQPExchangeType: Hashable, Sendable, CustomStringConvertible {
    /// The name the broker knows the type by.
    public let name: String
    /// Creates a type by name (for plugin exchange types).
    public init(_ name: String) { self.name = name }

    public static let direct = AMQPExchangeType("direct")
    public static let fanout = AMQPExchangeType("fanout")
    public static let topic = AMQPExchangeType("topic")
    public static let headers = AMQPExchangeType("headers")

    public var description: String { name }
}

/// A queue declaration: durability, type and the RabbitMQ `x-` arguments the system uses.
public struct AMQPQueueOptions: Sendable, Hashable {
    /// Classic or quorum (replicated, with delivery limits).
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case classic
        case quorum
    }

    public var durable: Bool
    public var exclusive: Bool
    public var autoDelete: Bool
    public var kind: Kind
    /// `x-dead-letter-exchange`: where rejected or expired messages go.
    public var deadLetterExchange: String?
    /// `x-dead-letter-routing-key`: the key they go with (default: their own).
    public var deadLetterRoutingKey: String?
    /// `x-message-ttl` in milliseconds.
    public var messageTTLMilliseconds: Int?
    /// `x-delivery-limit` (quorum queues): deliveries before the message is dead-lettered.
    public var deliveryLimit: Int?
    /// Any other arguments, merged last.
    public var extraArguments: AMQPTable

    /// A durable classic queue unless said otherwise.
    public init(
        durable: Bool = true,
        exclusive: Bool = false,
        autoDelete: Bool = false,
        kind: Kind = .classic,
        deadLetterExchange: String? = nil,
        deadLetterRoutingKey: String? = nil,
        messageTTLMilliseconds: Int? = nil,
        deliveryLimit: Int? = nil,
        extraArguments: AMQPTable = [:]
    ) {
        self.durable = durable
        self.exclusive = exclusive
        self.autoDelete = autoDelete
        self.kind = kind
        self.deadLetterExchange = deadLetterExchange
        self.deadLetterRoutingKey = deadLetterRoutingKey
        self.messageTTLMilliseconds = messageTTLMilliseconds
        self.deliveryLimit = deliveryLimit
        self.extraArguments = extraArguments
    }

    /// The `x-` arguments this declaration sends.
    public var arguments: AMQPTable {
        var arguments: AMQPTable = [:]
        if kind == .quorum { arguments["x-queue-type"] = .string("quorum") }
        if let deadLetterExchange { arguments["x-dead-letter-exchange"] = .string(deadLetterExchange) }
        if let deadLetterRoutingKey { arguments["x-dead-letter-routing-key"] = .string(deadLetterRoutingKey) }
        if let messageTTLMilliseconds { arguments["x-message-ttl"] = .int64(Int64(messageTTLMilliseconds)) }
        if let deliveryLimit { arguments["x-delivery-limit"] = .int64(Int64(deliveryLimit)) }
        arguments.merge(extraArguments) { _, extra in extra }
        return arguments
    }
}

/// What the broker said about a declared queue.
public struct AMQPQueueState: Sendable, Hashable {
    /// The queue's name (the broker's choice when declared with an empty name).
    public var name: String
    /// Ready messages (not counting unacknowledged ones).
    public var messageCount: UInt32
    public var consumerCount: UInt32
}
