import Contracts
public import Foundation
public import Logging

/// A swift-log handler that writes one JSON object per line to standard error (`LOG_FORMAT=json`),
/// for log shippers: `timestamp` (RFC 3339, UTC, milliseconds), `level`, `label`, `message`,
/// `source` and every metadata key as a member (nested metadata as JSON). Written here because
/// swift-log ships only the text `StreamLogHandler` and no listed package offers a JSON handler.
public struct JSONLogHandler: LogHandler {
    /// The logger's label (the service).
    public let label: String
    /// Metadata every record carries.
    public var metadata: Logger.Metadata = [:]
    /// The lowest level written.
    public var logLevel: Logger.Level = .info
    /// Where a finished line goes.
    private let write: @Sendable (String) -> Void

    /// A handler for `label` writing each line with `write` (standard error unless given).
    public init(label: String, write: @escaping @Sendable (String) -> Void = JSONLogHandler.standardError) {
        self.label = label
        self.write = write
    }

    /// Metadata by key.
    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// Writes one record as one line.
    public func log(event: LogEvent) {
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        write(Self.line(
            date: Date(), level: event.level, label: label, message: "\(event.message)", source: event.source, metadata: merged))
    }

    /// The JSON line of one record (pure; members sorted, so a line is stable for a record).
    public static func line(
        date: Date, level: Logger.Level, label: String, message: String, source: String, metadata: Logger.Metadata
    ) -> String {
        var members: [String: Any] = [
            "timestamp": RFC3339.string(from: date), "level": level.rawValue, "label": label, "message": message, "source": source,
        ]
        for (key, value) in metadata { members[key] = json(value) }
        let data = (try? JSONSerialization.data(withJSONObject: members, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    /// Writes `line` and a newline to standard error in one call, so concurrent lines never interleave.
    public static let standardError: @Sendable (String) -> Void = { line in
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    private static func json(_ value: Logger.Metadata.Value) -> Any {
        switch value {
        case .string(let text): text
        case .stringConvertible(let convertible): convertible.description
        case .array(let values): values.map(json)
        case .dictionary(let members): members.mapValues(json)
        }
    }
}
