/// Names of the AMQP headers the runtime adds for retries and parking (the domain headers are
/// `EventExchange.Header` in Contracts).
public enum MessageHeaders {
    /// How many times this message has been delivered to a handler (1 on first delivery).
    public static let attempt = "x-fabrikam-attempt"
    /// The last handler or infrastructure error for a retried or parked message.
    public static let lastError = "x-fabrikam-last-error"
    /// Why a message was parked: a stable reason code (`retries-exhausted`, `not-json`, ...).
    public static let parkedReason = "x-fabrikam-parked-reason"
    /// When a message was parked (RFC 3339).
    public static let parkedAt = "x-fabrikam-parked-at"
    /// The queue a parked message came from (replay sends it back there).
    public static let originalQueue = "x-fabrikam-original-queue"
    /// The routing key a retried or parked message was first published with.
    public static let originalRoutingKey = "x-fabrikam-original-routing-key"
    /// The exchange a retried or parked message was first published to.
    public static let originalExchange = "x-fabrikam-original-exchange"
}
