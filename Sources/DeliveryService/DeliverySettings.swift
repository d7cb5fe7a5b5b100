package import Choreography
import Contracts
package import Foundation

/// The delivery service's settings, read from the environment by the executable.
///
/// Keys and defaults:
/// - `DELIVERY_JOIN_TIMEOUT_S` (default `30`): seconds to wait, from the request (or the first
///   branch event, if it overtook the request), for the join to complete before the delivery
///   fails with `JOIN_TIMED_OUT`; a positive number, fractions allowed.
/// - `ALLOCATION_LEAD_TIME_S` (default `7200`, shared with the drone service): a pickup further
///   ahead is allocated a drone only this long before it, and the join timeout runs from then.
/// - `DELIVERY_PICKUP_GRACE_S` (default `900`): seconds after a scheduled delivery's pickup ETA
///   without `drone.picked-up` before the delivery service asks the drone service to release the
///   drone (`delivery.pickup-overdue`); a positive number, fractions allowed.
/// - `DELIVERY_NO_FLY_ZONES` (default `sea-tac-airport:47.4502,-122.3088,4`): the zones a drop-off
///   may not be in, `name:lat,lon,radiusKm` entries separated by `;`; an empty value means none.
package struct DeliverySettings: Sendable {
    /// How long the join waits for its second branch.
    package var joinTimeout: Duration
    /// Where drones may not drop off.
    package var noFlyZones: [NoFlyZone]
    /// How long before a pickup its drone is allocated (``AllocationLeadTime``).
    package var allocationLeadTime: TimeInterval
    /// Seconds after the pickup ETA before a pickup is overdue.
    package var pickupGrace: TimeInterval

    /// Settings with the documented defaults unless given.
    package init(
        joinTimeout: Duration = .seconds(30), noFlyZones: [NoFlyZone] = [.seaTacAirport],
        allocationLeadTime: TimeInterval = AllocationLeadTime.defaultSeconds, pickupGrace: TimeInterval = 900
    ) {
        self.joinTimeout = joinTimeout
        self.noFlyZones = noFlyZones
        self.allocationLeadTime = allocationLeadTime
        self.pickupGrace = pickupGrace
    }

    /// The join timeout in seconds, for date arithmetic.
    var joinTimeoutSeconds: TimeInterval {
        let (seconds, attoseconds) = joinTimeout.components
        return TimeInterval(seconds) + TimeInterval(attoseconds) / 1e18
    }

    /// Settings from environment variables (the keys above); a missing key takes its default,
    /// a malformed one throws ``SettingError`` naming it.
    package static func fromEnvironment(
        _ environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(SettingError) -> DeliverySettings {
        var settings = DeliverySettings()
        if let seconds = try positiveSeconds("DELIVERY_JOIN_TIMEOUT_S", environment) { settings.joinTimeout = .seconds(seconds) }
        if let seconds = try positiveSeconds("DELIVERY_PICKUP_GRACE_S", environment) { settings.pickupGrace = seconds }
        if let text = environment["DELIVERY_NO_FLY_ZONES"] {
            settings.noFlyZones = try NoFlyZone.parseList(text)
        }
        guard let lead = AllocationLeadTime.seconds(from: environment) else {
            throw SettingError(key: AllocationLeadTime.environmentKey, "'\(environment[AllocationLeadTime.environmentKey] ?? "")' is not a number of seconds > 0")
        }
        settings.allocationLeadTime = lead
        return settings
    }

    /// The number of seconds under `key`, if set: a number in 0 < s <= 86400, or ``SettingError``.
    private static func positiveSeconds(_ key: String, _ environment: [String: String]) throws(SettingError) -> Double? {
        guard let text = environment[key] else { return nil }
        guard let seconds = Double(text.trimmingCharacters(in: .whitespaces)), seconds.isFinite, seconds > 0, seconds <= 86_400 else {
            throw SettingError(key: key, "'\(text)' is not a number of seconds in 0 < s <= 86400")
        }
        return seconds
    }
}
