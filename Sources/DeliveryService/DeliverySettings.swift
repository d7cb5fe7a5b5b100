package import Choreography
import Contracts
package import Foundation

/// The delivery service's settings, read through ``ServiceSettings`` by the executable.
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

    /// The settings of the delivery service in `environment` (see ``init(reading:)``).
    package static func fromEnvironment(
        _ environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(SettingError) -> DeliverySettings {
        try DeliverySettings(reading: ServiceSettings(service: "delivery", environment: environment))
    }

    /// Settings from `settings` (the keys above); a missing or empty key takes its default (but
    /// an empty `DELIVERY_NO_FLY_ZONES` means no zones), a malformed one throws ``SettingError`` naming it.
    package init(reading settings: ServiceSettings) throws(SettingError) {
        self.init()
        if let seconds = try Self.positiveSeconds("DELIVERY_JOIN_TIMEOUT_S", settings) { joinTimeout = .seconds(seconds) }
        pickupGrace = try Self.positiveSeconds("DELIVERY_PICKUP_GRACE_S", settings) ?? pickupGrace
        if let text = settings.string("DELIVERY_NO_FLY_ZONES", emptyMeansUnset: false) {
            noFlyZones = try NoFlyZone.parseList(text)
        }
        allocationLeadTime = try settings.parsed(
            AllocationLeadTime.environmentKey, AllocationLeadTime.requirement, AllocationLeadTime.seconds(parsing:)) ?? allocationLeadTime
    }

    /// The number of seconds under `key`, if set: a number in 0 < s <= 86400, or ``SettingError``.
    private static func positiveSeconds(_ key: String, _ settings: ServiceSettings) throws(SettingError) -> Double? {
        try settings.parsed(key, "must be a number of seconds in 0 < s <= 86400") { text in
            Double(text).flatMap { $0.isFinite && $0 > 0 && $0 <= 86_400 ? $0 : nil }
        }
    }
}
