/// The AMQP topology and message properties every event message uses (`schemas/asyncapi.yaml`).
public enum EventExchange {
    /// The durable topic exchange all domain events are published to; the routing key is the type.
    public static let name = "fabrikam.events"
    /// The exchange type.
    public static let kind = "topic"
    /// The `content_type` of every event message.
    public static let contentType = "application/json"
    /// The binding key that receives every event (the history service's).
    public static let everyEvent = "#"

    /// Names of the AMQP header-table entries each event message carries. The event id, event type
    /// and delivery id travel in the basic properties `message_id`, `type` and `correlation_id`.
    public enum Header {
        /// The id of the event that caused this one (absent when none did).
        public static let causationId = "causation-id"
        /// The producing service (``Producer``).
        public static let producer = "producer"
        /// The payload's schema version (an integer).
        public static let schemaVersion = "schema-version"
        /// The W3C trace context of the operation that published the event.
        public static let traceparent = "traceparent"
    }
}
