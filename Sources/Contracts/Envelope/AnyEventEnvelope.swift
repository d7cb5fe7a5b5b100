public import Foundation
import UUIDText

/// A type-erased event message: the envelope fields with `data` as raw JSON. This is what the
/// runtime gets from ``ContractValidator`` for any incoming message, before a handler asks for
/// its typed payload with ``payload(as:)``.
public struct AnyEventEnvelope: Sendable, Hashable, Codable {
    /// The event id: the AMQP `message_id` and every consumer's inbox key.
    public var id: UUID
    /// The event type (routing key).
    public var type: EventType
    /// The payload's schema version.
    public var version: Int
    /// When the event happened.
    public var occurredAt: Date
    /// The delivery (saga) the event belongs to: the AMQP `correlation_id`.
    public var deliveryId: UUID
    /// The event that caused this one; `nil` for a saga's first event or a timer.
    public var causationId: UUID?
    /// The producing service.
    public var producer: Producer
    /// The payload as JSON.
    public var data: JSONValue

    /// An envelope from its fields.
    public init(
        id: UUID, type: EventType, version: Int, occurredAt: Date, deliveryId: UUID, causationId: UUID?,
        producer: Producer, data: JSONValue
    ) {
        self.id = id
        self.type = type
        self.version = version
        self.occurredAt = occurredAt
        self.deliveryId = deliveryId
        self.causationId = causationId
        self.producer = producer
        self.data = data
    }

    /// The type-erased form of a typed envelope; throws ``ContractError/Code/unencodablePayload``
    /// if the payload cannot be encoded (a non-finite number, for instance).
    public init<Payload>(_ envelope: EventEnvelope<Payload>) throws(ContractError) {
        let data: JSONValue
        do {
            data = try JSONValueEncoder().encode(envelope.data)
        } catch {
            throw ContractError(.unencodablePayload, "\(Payload.eventType) payload cannot be encoded as JSON")
        }
        self.init(
            id: envelope.id, type: envelope.type, version: envelope.version, occurredAt: envelope.occurredAt,
            deliveryId: envelope.deliveryId, causationId: envelope.causationId, producer: envelope.producer,
            data: data)
    }

    /// The payload decoded as `Payload`; throws ``ContractError/Code/payloadTypeMismatch`` if the
    /// envelope holds another type or version, ``ContractError/Code/undecodablePayload`` if the
    /// JSON does not decode.
    public func payload<Payload: DomainEvent>(as payloadType: Payload.Type = Payload.self) throws(ContractError)
        -> Payload
    {
        guard type == Payload.eventType, version == Payload.schemaVersion else {
            throw ContractError(
                .payloadTypeMismatch,
                "envelope holds \(type) v\(version), not \(Payload.eventType) v\(Payload.schemaVersion)")
        }
        do {
            return try JSONValueDecoder().decode(Payload.self, from: data)
        } catch {
            throw ContractError(.undecodablePayload, "\(type) v\(version) payload does not decode: \(error)")
        }
    }

    /// The typed envelope (see ``payload(as:)`` for the errors).
    public func typed<Payload: DomainEvent>(as payloadType: Payload.Type = Payload.self) throws(ContractError)
        -> EventEnvelope<Payload>
    {
        EventEnvelope(
            id: id, occurredAt: occurredAt, deliveryId: deliveryId, causationId: causationId, producer: producer,
            data: try payload(as: Payload.self))
    }

    /// The whole envelope as JSON (ids in upper case, Foundation's `uuidString` form, dates as RFC 3339 UTC).
    public var jsonValue: JSONValue {
        [
            "id": .string(id.uppercaseText), "type": .string(type.rawValue), "version": .number(Double(version)),
            "occurredAt": .string(RFC3339.string(from: occurredAt)), "deliveryId": .string(deliveryId.uppercaseText),
            "causationId": causationId.map { .string($0.uppercaseText) } ?? .null,
            "producer": .string(producer.rawValue), "data": data,
        ]
    }

    /// The message body: the envelope as compact JSON.
    public func serialized() -> [UInt8] { jsonValue.serialized() }

    /// An envelope from a message that passed the envelope schema (so every field is present and
    /// well-formed); `nil` if it was not.
    init?(validated message: JSONValue) {
        guard let id = message["id"]?.stringValue.flatMap(UUIDText.uuid),
            let type = message["type"]?.stringValue,
            let version = message["version"]?.numberValue, version.isWholeNumber,
            let occurredAt = message["occurredAt"]?.stringValue.flatMap(RFC3339.date(from:)),
            let deliveryId = message["deliveryId"]?.stringValue.flatMap(UUIDText.uuid),
            let producer = message["producer"]?.stringValue,
            let data = message["data"]
        else { return nil }
        var causationId: UUID?
        if let cause = message["causationId"]?.stringValue {
            guard let parsed = UUIDText.uuid(cause) else { return nil }
            causationId = parsed
        }
        self.init(
            id: id, type: EventType(type), version: Int(version), occurredAt: occurredAt, deliveryId: deliveryId,
            causationId: causationId, producer: Producer(rawValue: producer), data: data)
    }

    /// Decodes an envelope (RFC 3339 `occurredAt` whatever the decoder's date strategy).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: EnvelopeCodingKeys.self)
        id = try container.decode(UUID.self, forKey: .id)
        type = try container.decode(EventType.self, forKey: .type)
        version = try container.decode(Int.self, forKey: .version)
        occurredAt = try container.decodeTimestamp(forKey: .occurredAt)
        deliveryId = try container.decode(UUID.self, forKey: .deliveryId)
        causationId = try container.decodeIfPresent(UUID.self, forKey: .causationId)
        producer = try container.decode(Producer.self, forKey: .producer)
        data = try container.decode(JSONValue.self, forKey: .data)
    }

    /// Encodes every envelope field, `causationId` as `null` when absent.
    public func encode(to encoder: any Encoder) throws {
        try EnvelopeCodingKeys.encode(
            to: encoder, id: id, type: type, version: version, occurredAt: occurredAt, deliveryId: deliveryId,
            causationId: causationId, producer: producer, data: data)
    }
}
