import Choreography
import Foundation

/// The delivery service's settings, read from the environment by the executable.
///
/// Keys and defaults:
/// - `DELIVERY_JOIN_TIMEOUT_S` (default `30`): seconds to wait, from the first of
///   `account.validated` / `drone.allocated`, for the other one before the delivery fails with
///   `JOIN_TIMED_OUT`; a positive number, fractions allowed.
/// - `DELIVERY_NO_FLY_ZONES` (default `sea-tac-airport:47.4502,-122.3088,4`): the zones a drop-off
///   may not be in, `name:lat,lon,radiusKm` entries separated by `;`; an empty value means none.
public struct DeliverySettings: Sendable {
    /// How long the join waits for its second branch.
    public var joinTimeout: Duration
    /// Where drones may not drop off.
    public var noFlyZones: [NoFlyZone]

    /// Settings with the documented defaults unless given.
    public init(joinTimeout: Duration = .seconds(30), noFlyZones: [NoFlyZone] = [.seaTacAirport]) {
        self.joinTimeout = joinTimeout
        self.noFlyZones = noFlyZones
    }

    /// The join timeout in seconds, for date arithmetic.
    var joinTimeoutSeconds: TimeInterval {
        let (seconds, attoseconds) = joinTimeout.components
        return TimeInterval(seconds) + TimeInterval(attoseconds) / 1e18
    }

    /// Settings from environment variables (the keys above); a missing key takes its default,
    /// a malformed one throws ``SettingError`` naming it.
    public static func fromEnvironment(
        _ environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(SettingError) -> DeliverySettings {
        var settings = DeliverySettings()
        if let text = environment["DELIVERY_JOIN_TIMEOUT_S"] {
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            guard let seconds = Double(trimmed), seconds.isFinite, seconds > 0, seconds <= 86_400 else {
                throw SettingError(
                    key: "DELIVERY_JOIN_TIMEOUT_S", "'\(text)' is not a number of seconds in 0 < s <= 86400")
            }
            settings.joinTimeout = .seconds(seconds)
        }
        if let text = environment["DELIVERY_NO_FLY_ZONES"] {
            settings.noFlyZones = try NoFlyZone.parseList(text)
        }
        return settings
    }
}
