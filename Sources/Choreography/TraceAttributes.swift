/// Every span attribute name the runtime sets, in one place: OpenTelemetry's semantic-convention
/// names (checked against swift-otel-semantic-conventions 1.44.0) for messaging, database and
/// errors, and the project's own under `fabrikam.`.
public enum TraceAttributes {
    // MARK: Messaging (https://opentelemetry.io/docs/specs/semconv/messaging/)

    /// `rabbitmq` on every messaging span.
    public static let messagingSystem = "messaging.system"
    /// `send` (publishing) or `process` (handling a delivery).
    public static let messagingOperationType = "messaging.operation.type"
    /// `publish` or `process`.
    public static let messagingOperationName = "messaging.operation.name"
    /// The exchange published to, or the queue consumed from.
    public static let messagingDestinationName = "messaging.destination.name"
    /// The AMQP message id (the event id).
    public static let messagingMessageId = "messaging.message.id"
    /// The AMQP correlation id (the delivery id).
    public static let messagingConversationId = "messaging.message.conversation_id"
    /// The routing key (the event type).
    public static let messagingRoutingKey = "messaging.rabbitmq.destination.routing_key"

    // MARK: Database (https://opentelemetry.io/docs/specs/semconv/database/)

    /// `postgresql` on every database span.
    public static let databaseSystemName = "db.system.name"
    /// The service's schema.
    public static let databaseNamespace = "db.namespace"
    /// The SQLSTATE of a failed transaction.
    public static let databaseResponseStatusCode = "db.response.status_code"

    // MARK: Errors

    /// The class of a failure (a SQLSTATE, an AMQP reply code, a parking reason, or the error's type).
    public static let errorType = "error.type"

    // MARK: The project's own

    /// The delivery (saga) id.
    public static let deliveryId = "fabrikam.delivery.id"
    /// The event id.
    public static let eventId = "fabrikam.event.id"
    /// The event type, e.g. `package.created`.
    public static let eventType = "fabrikam.event.type"
    /// The service that handled or published the event.
    public static let service = "fabrikam.service"
    /// What became of a consumed delivery: `handled`, `duplicate`, `retried`, `parked` or `kept`.
    public static let outcome = "fabrikam.outcome"
    /// The AMQP reply code of a failed publish (a returned or refused message).
    public static let amqpReplyCode = "fabrikam.amqp.reply_code"
    /// The deadline's name, on a fired deadline's span.
    public static let deadlineName = "fabrikam.deadline.name"
    /// How many events shared the span's database transaction.
    public static let transactionEvents = "fabrikam.transaction.events"

    // MARK: Values

    /// `messaging.system` for RabbitMQ.
    public static let rabbitMQ = "rabbitmq"
    /// `db.system.name` for PostgreSQL.
    public static let postgreSQL = "postgresql"
}
