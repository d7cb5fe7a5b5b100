/// A service that produces events: the envelope's `producer` and the AMQP `producer` header.
public struct Producer: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    /// The service name.
    public let rawValue: String

    /// A producer from its service name (known or not; see ``all``).
    public init(rawValue: String) { self.rawValue = rawValue }

    /// The service name.
    public var description: String { rawValue }

    /// The HTTP front door: accepts requests and cancellations.
    public static let ingestion = Producer(rawValue: "ingestion")
    /// Accounts, their status and daily limits.
    public static let account = Producer(rawValue: "account")
    /// Packages: size and weight rules, creation and cancellation.
    public static let package = Producer(rawValue: "package")
    /// The fleet: allocation, release and the flight.
    public static let drone = Producer(rawValue: "drone")
    /// The join, scheduling, flight tracking and cancellations.
    public static let delivery = Producer(rawValue: "delivery")
    /// The event log and status view (produces nothing today, but is a named service).
    public static let history = Producer(rawValue: "history")

    /// Every service name the envelope schema allows.
    public static let all: [Producer] = [.ingestion, .account, .package, .drone, .delivery, .history]
}
