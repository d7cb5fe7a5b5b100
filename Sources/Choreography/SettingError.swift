/// A setting that cannot be used: which key, and what is wrong with its value. The one error of
/// configuration: ``ServiceSettings``, ``ChoreographyConfiguration`` and the services' own
/// settings (`DeliverySettings`, `DroneSettings`, …) throw it, and a daemon refuses to start.
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
