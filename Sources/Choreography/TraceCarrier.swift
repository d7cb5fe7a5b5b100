import AMQP
import Foundation
import Tracing

/// A span's propagated context as the tracer injects it (for W3C: `traceparent` and perhaps
/// `tracestate`): stored with an outbox row or a deadline, and copied into message headers.
public struct TraceCarrier: Sendable, Equatable {
    /// The injected fields, by header name.
    public var fields: [String: String]

    /// A carrier with these fields.
    public init(_ fields: [String: String] = [:]) { self.fields = fields }

    /// The carrier as stored in the database: a JSON object of strings, keys sorted (nil when
    /// empty). Written by hand: it runs for every emitted event while tracing is on.
    public var storedForm: String? {
        guard !fields.isEmpty else { return nil }
        let members = fields.sorted { $0.key < $1.key }.map { "\(Self.jsonString($0.key)):\(Self.jsonString($0.value))" }
        return "{" + members.joined(separator: ",") + "}"
    }

    /// `text` as a JSON string literal.
    private static func jsonString(_ text: String) -> String {
        var literal = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": literal += "\\\""
            case "\\": literal += "\\\\"
            case _ where scalar.value < 0x20: literal += String(format: "\\u%04x", scalar.value)
            default: literal.unicodeScalars.append(scalar)
            }
        }
        return literal + "\""
    }

    /// Reads the stored form; nil for nil, empty or malformed text.
    public init?(storedForm: String?) {
        guard let storedForm, let object = try? JSONSerialization.jsonObject(with: Data(storedForm.utf8)) as? [String: Any] else { return nil }
        let fields = object.compactMapValues { $0 as? String }
        guard !fields.isEmpty else { return nil }
        self.fields = fields
    }

    /// The W3C trace id in the carrier's `traceparent`, if it has a valid one.
    public var traceId: String? { fields[TraceParent.header].flatMap(TraceParent.init(parsing:))?.traceId }
}

/// A W3C `traceparent` (https://www.w3.org/TR/trace-context/#traceparent-header).
public struct TraceParent: Sendable, Equatable {
    /// The header's name.
    public static let header = "traceparent"
    /// 32 lowercase hex digits, not all zero.
    public let traceId: String
    /// 16 lowercase hex digits, not all zero.
    public let parentId: String
    /// Whether the caller sampled the trace.
    public let sampled: Bool

    /// Parses version 00 (and, as the spec asks, the first four fields of a later version); nil when malformed.
    public init?(parsing text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count >= 4, parts[0].count == 2, parts[0] != "ff", Self.isHex(parts[0]),
              parts[0] != "00" || parts.count == 4,
              parts[1].count == 32, Self.isHex(parts[1]), parts[1].contains(where: { $0 != "0" }),
              parts[2].count == 16, Self.isHex(parts[2]), parts[2].contains(where: { $0 != "0" }),
              parts[3].count == 2, Self.isHex(parts[3]), let flags = UInt8(parts[3], radix: 16)
        else { return nil }
        traceId = String(parts[1])
        parentId = String(parts[2])
        sampled = flags & 1 == 1
    }

    /// The header's text (version 00).
    public var formatted: String { "00-\(traceId)-\(parentId)-\(sampled ? "01" : "00")" }

    private static func isHex(_ text: Substring) -> Bool {
        text.allSatisfy { ("0"..."9").contains($0) || ("a"..."f").contains($0) }
    }
}

/// Writes injected fields into a ``TraceCarrier``.
struct TraceCarrierInjector: Injector {
    func inject(_ value: String, forKey key: String, into carrier: inout TraceCarrier) { carrier.fields[key] = value }
}

/// Writes injected fields into AMQP message headers.
struct AMQPHeadersInjector: Injector {
    func inject(_ value: String, forKey key: String, into carrier: inout AMQPTable) { carrier[key] = .string(value) }
}

/// Reads propagated fields from AMQP message headers.
struct AMQPHeadersExtractor: Extractor {
    func extract(key: String, from carrier: AMQPTable) -> String? { carrier[key]?.stringValue }
}

/// Reads propagated fields from a ``TraceCarrier``.
struct TraceCarrierExtractor: Extractor {
    func extract(key: String, from carrier: TraceCarrier) -> String? { carrier.fields[key] }
}
