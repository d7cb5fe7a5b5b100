import Foundation

/// The envelope's field names, shared by ``EventEnvelope`` and ``AnyEventEnvelope``.
enum EnvelopeCodingKeys: String, CodingKey {
    case id, type, version, occurredAt, deliveryId, causationId, producer, data

    /// Encodes every envelope field (typed or type-erased `data`), `occurredAt` as RFC 3339 and
    /// `causationId` as `null` when absent.
    static func encode(
        to encoder: any Encoder, id: UUID, type: EventType, version: Int, occurredAt: Date, deliveryId: UUID,
        causationId: UUID?, producer: Producer, data: some Encodable
    ) throws {
        var container = encoder.container(keyedBy: EnvelopeCodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(type, forKey: .type)
        try container.encode(version, forKey: .version)
        try container.encode(RFC3339.string(from: occurredAt), forKey: .occurredAt)
        try container.encode(deliveryId, forKey: .deliveryId)
        if let causationId {
            try container.encode(causationId, forKey: .causationId)
        } else {
            try container.encodeNil(forKey: .causationId)
        }
        try container.encode(producer, forKey: .producer)
        try container.encode(data, forKey: .data)
    }
}

extension KeyedDecodingContainer where Key == EnvelopeCodingKeys {
    /// An RFC 3339 timestamp, whatever the decoder's date strategy.
    func decodeTimestamp(forKey key: Key) throws -> Date {
        let text = try decode(String.self, forKey: key)
        guard let date = RFC3339.date(from: text) else {
            throw DecodingError.dataCorruptedError(forKey: key, in: self, debugDescription: "not an RFC 3339 date-time")
        }
        return date
    }
}
