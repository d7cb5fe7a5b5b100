import Foundation

/// The media type every JSON document of the system travels as: HTTP request bodies and AMQP
/// messages alike.
public enum JSONMediaType {
    /// `application/json`.
    public static let name = "application/json"

    /// Whether a `Content-Type` value is `application/json`, with or without parameters
    /// (`; charset=utf-8`); `application/jsonx` or `application/json-patch+json` are not.
    public static func matches(_ value: String) -> Bool {
        let type = value.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false)[0]
        return type.trimmingCharacters(in: .whitespaces).lowercased() == name
    }
}
