public import Foundation

/// A typed event message: the envelope fields around one payload type.
///
/// Encodes as `{id, type, version, occurredAt, deliveryId, causationId, producer, data}`;
/// `causationId` is written as `null` when absent and `occurredAt` as RFC 3339 UTC with
/// milliseconds (so a `Date` with finer precision does not survive a round trip exactly). Encode
/// with ``EventCoding/makeEncoder()`` so dates inside the payload use the same form.
public struct EventEnvelope<Payload: DomainEvent>: Sendable, Equatable, Codable {
    /// The event id: the AMQP `message_id` and every consumer's inbox key.
    public var id: UUID
    /// When the event happened.
    public var occurredAt: Date
    /// The delivery (saga) the event belongs to: the AMQP `correlation_id`.
    public var deliveryId: UUID
    /// The event that caused this one; `nil` for a saga's first event or a timer.
    public var causationId: UUID?
    /// The producing service.
    public var producer: Producer
    /// The payload.
    public var data: Payload

    /// The event type, from the payload type.
    public var type: EventType { Payload.eventType }
    /// The schema version, from the payload type.
    public var version: Int { Payload.schemaVersion }

    /// An envelope; the producer defaults to the payload type's producer.
    public init(
        id: UUID = .random(), occurredAt: Date = Date(), deliveryId: UUID, causationId: UUID?,
        producer: Producer = Payload.producer, data: Payload
    ) {
        self.id = id
        self.occurredAt = occurredAt
        self.deliveryId = deliveryId
        self.causationId = causationId
        self.producer = producer
        self.data = data
    }

    /// An envelope for an event caused by `cause`: same delivery, `causationId` = the cause's id.
    public init(data: Payload, causedBy cause: AnyEventEnvelope, id: UUID = .random(), occurredAt: Date = Date()) {
        self.init(id: id, occurredAt: occurredAt, deliveryId: cause.deliveryId, causationId: cause.id, data: data)
    }

    /// Decodes an envelope; fails unless `type` and `version` are the payload type's.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: EnvelopeCodingKeys.self)
        let type = try container.decode(EventType.self, forKey: .type)
        guard type == Payload.eventType else {
            throw DecodingError.dataCorruptedError(
                forKey: .type, in: container, debugDescription: "expected \(Payload.eventType), found \(type)")
        }
        let version = try container.decode(Int.self, forKey: .version)
        guard version == Payload.schemaVersion else {
            throw DecodingError.dataCorruptedError(
                forKey: .version, in: container,
                debugDescription: "expected version \(Payload.schemaVersion), found \(version)")
        }
        id = try container.decode(UUID.self, forKey: .id)
        occurredAt = try container.decodeTimestamp(forKey: .occurredAt)
        deliveryId = try container.decode(UUID.self, forKey: .deliveryId)
        causationId = try container.decodeIfPresent(UUID.self, forKey: .causationId)
        producer = try container.decode(Producer.self, forKey: .producer)
        data = try container.decode(Payload.self, forKey: .data)
    }

    /// Encodes every envelope field, `causationId` as `null` when absent.
    public func encode(to encoder: any Encoder) throws {
        try EnvelopeCodingKeys.encode(
            to: encoder, id: id, type: type, version: version, occurredAt: occurredAt, deliveryId: deliveryId,
            causationId: causationId, producer: producer, data: data)
    }
}
