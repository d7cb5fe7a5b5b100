public import Foundation

/// The basic-class properties of a message (AMQP 0-9-1 `basic.properties`).
public struct AMQPProperties: Sendable, Hashable {
    /// MIME type of the body, e.g. `application/json`.
    public var contentType: String?
    public var contentEncoding: String?
    /// Application headers.
    public var headers: AMQPTable
    /// True for delivery mode 2 (the broker writes the message to disk).
    public var persistent: Bool
    public var priority: UInt8?
    public var correlationId: String?
    public var replyTo: String?
    /// Per-message TTL in milliseconds, as AMQP's string form.
    public var expiration: String?
    public var messageId: String?
    /// Second-precision timestamp.
    public var timestamp: Date?
    /// Application message type (the event type in this system).
    public var type: String?
    public var userId: String?
    public var appId: String?

    /// Makes properties; messages are persistent unless said otherwise.
    public init(
        contentType: String? = nil,
        contentEncoding: String? = nil,
        headers: AMQPTable = [:],
        persistent: Bool = true,
        priority: UInt8? = nil,
        correlationId: String? = nil,
        replyTo: String? = nil,
        expiration: String? = nil,
        messageId: String? = nil,
        timestamp: Date? = nil,
        type: String? = nil,
        userId: String? = nil,
        appId: String? = nil
    ) {
        self.contentType = contentType
        self.contentEncoding = contentEncoding
        self.headers = headers
        self.persistent = persistent
        self.priority = priority
        self.correlationId = correlationId
        self.replyTo = replyTo
        self.expiration = expiration
        self.messageId = messageId
        self.timestamp = timestamp
        self.type = type
        self.userId = userId
        self.appId = appId
    }
}

/// A message to publish: where it goes, its body and its properties.
public struct AMQPOutgoingMessage: Sendable, Hashable {
    /// The exchange ("" is the default exchange, which routes by queue name).
    public var exchange: String
    public var routingKey: String
    public var body: [UInt8]
    public var properties: AMQPProperties
    /// Ask the broker to return the message when no queue is bound for it.
    public var mandatory: Bool

    /// Makes a message to publish.
    public init(exchange: String, routingKey: String, body: [UInt8], properties: AMQPProperties = AMQPProperties(), mandatory: Bool = false) {
        self.exchange = exchange
        self.routingKey = routingKey
        self.body = body
        self.properties = properties
        self.mandatory = mandatory
    }
}

/// A message the broker delivered to a consumer; ack, nack or reject it by `deliveryTag`.
public struct AMQPDelivery: Sendable, Hashable {
    /// The channel-scoped tag to acknowledge with.
    public var deliveryTag: UInt64
    /// True when the broker delivered this message before (to this or another consumer).
    public var redelivered: Bool
    public var exchange: String
    public var routingKey: String
    public var consumerTag: String
    public var body: [UInt8]
    public var properties: AMQPProperties
    /// Which channel generation delivered it; a tag from an older channel cannot be acked.
    package var channelGeneration: UInt64
}

/// What became of one published message under publisher confirms.
public enum AMQPPublishOutcome: Sendable, Hashable {
    /// The broker took responsibility for the message (persisted to a durable queue if routed there).
    case confirmed
    /// The broker refused responsibility (basic.nack): publish it again.
    case nacked
    /// A mandatory message no queue was bound for; the broker returned it with this reply.
    case returned(replyCode: UInt16, replyText: String)
}
