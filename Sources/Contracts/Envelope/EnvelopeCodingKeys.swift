import Foundation

/// The envelope's field names, shared by ``EventEnvelope`` and ``AnyEventEnvelope``.
enum EnvelopeCodingKeys: String, CodingKey {
    case id, type, version, occurredAt, deliveryId, causationId, producer, data
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
