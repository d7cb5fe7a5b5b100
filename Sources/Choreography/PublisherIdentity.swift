public import AMQP
import Contracts

/// Who published a message, as the broker vouches for it, and whether that is the producer its
/// envelope claims.
///
/// RabbitMQ refuses a message whose AMQP `user_id` is not the publishing connection's login user,
/// and every publisher of the system stamps it (see `AMQPConnection`'s publishing), so `user_id`
/// names the credentials that published the message: each service publishes as a broker user
/// named after it (`drone` publishes `drone.*` events). A copy that someone else published again
/// — this service's own retry and parking copies, an operator's replay of a parked message, the
/// schedule harness delivering a tapped message — carries the relayer's `user_id`; such a relayer
/// names the publisher it established in the `producer` header, which is believed only when the
/// message's `user_id` is one of the trusted relayers.
public enum PublisherIdentity {
    /// The identity that published the message: its `user_id`, or, when a trusted relayer
    /// published this copy, the publisher the relayer names; nil if there is none.
    public static func publisher(of properties: AMQPProperties, relayers: Set<String>) -> String? {
        guard let user = properties.userId, !user.isEmpty else { return nil }
        guard relayers.contains(user) else { return user }
        return properties.headers[EventExchange.Header.producer]?.stringValue ?? user
    }

    /// Why the envelope's producer is not the message's publisher, if it is not.
    public static func mismatch(_ properties: AMQPProperties, producer: String, relayers: Set<String>) -> String? {
        guard let publisher = publisher(of: properties, relayers: relayers) else {
            return "user_id is missing: the publisher of a '\(producer)' event is unknown"
        }
        guard publisher == producer else {
            return "published by broker user '\(publisher)', but the envelope's producer is '\(producer)'"
        }
        return nil
    }

    /// The properties of a copy this relayer publishes again: the `producer` header names the
    /// publisher established for the original (removed when there is none, so that it is never
    /// believed later).
    public static func relaying(_ properties: AMQPProperties, relayers: Set<String>) -> AMQPProperties {
        var copy = properties
        copy.headers[EventExchange.Header.producer] = publisher(of: properties, relayers: relayers).map { .string($0) }
        return copy
    }
}
