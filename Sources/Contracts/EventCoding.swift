public import Foundation

/// The JSON coders for event payloads and envelopes: field names as declared (stable, camelCase),
/// dates as RFC 3339 text in UTC with millisecond fractions (`2026-05-01T09:30:00.250Z`); decoding
/// accepts any RFC 3339 `date-time` (any offset, any fraction).
public enum EventCoding {
    /// A new encoder configured for events.
    public static func makeEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(RFC3339.string(from: date))
        }
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return encoder
    }

    /// A new decoder configured for events.
    public static func makeDecoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard let date = RFC3339.date(from: text) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "not an RFC 3339 date-time")
            }
            return date
        }
        return decoder
    }
}
