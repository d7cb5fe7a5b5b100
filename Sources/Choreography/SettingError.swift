/// A service setting from the environment that cannot be used: which key, and what is wrong
/// with its value. The services' own settings (`DeliverySettings`, `HistorySettings`, …) throw it.
public struct SettingError: Error, Hashable, CustomStringConvertible {
    /// The environment variable.
    public var key: String
    /// What is wrong.
    public var message: String

    /// An error for `key`.
    public init(key: String, _ message: String) {
        self.key = key
        self.message = message
    }

    /// `KEY: message`.
    public var description: String { "\(key): \(message)" }
}
