package import Choreography
package import Contracts
package import Foundation

/// The drone service's settings, read through ``ServiceSettings``:
/// - `DRONE_FLEET` (`10x5kg/30km/60kmh,12x12kg/50km/70kmh,8x25kg/80km/50kmh`) — the fleet as
///   comma-separated groups `COUNTxPAYLOADkg/RANGEkm/SPEEDkmh` (see ``FleetSpecification``);
///   drones `drone-001` onwards are seeded at start-up when missing.
/// - `DRONE_HOME` (`47.6062,-122.3321`, Seattle) — `LATITUDE,LONGITUDE` in decimal degrees: the
///   centre of the disc (radius 5 km) over which the drones' home bases are spread.
/// - `DRONE_TIME_SCALE` (`1.0`) — a number ≥ 0 that multiplies the real flight durations in the
///   flight simulation: `1` flies in real time, `0.01` a hundred times faster, `0` at once.
/// - `ALLOCATION_LEAD_TIME_S` (`7200`, shared with the delivery service) — a package whose pickup
///   is further ahead holds no drone: one is allocated this long before the pickup.
package struct DroneSettings: Sendable, Hashable {
    /// The default drone base: Seattle.
    package static let defaultHome = GeoLocation(latitude: 47.6062, longitude: -122.3321)

    /// The fleet to seed.
    package var fleet: FleetSpecification
    /// The centre of the home bases.
    package var home: GeoLocation
    /// The factor applied to flight durations (≥ 0).
    package var timeScale: Double
    /// How long before a pickup its drone is allocated (``AllocationLeadTime``).
    package var allocationLeadTime: TimeInterval

    /// Settings with the documented defaults unless given.
    package init(
        fleet: FleetSpecification = .standard, home: GeoLocation = DroneSettings.defaultHome, timeScale: Double = 1.0,
        allocationLeadTime: TimeInterval = AllocationLeadTime.defaultSeconds
    ) {
        self.fleet = fleet
        self.home = home
        self.timeScale = timeScale
        self.allocationLeadTime = allocationLeadTime
    }

    /// The settings of the drone service in `environment` (see ``init(reading:)``).
    package static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws(SettingError) -> DroneSettings {
        try DroneSettings(reading: ServiceSettings(service: "drone", environment: environment))
    }

    /// Reads `DRONE_FLEET`, `DRONE_HOME`, `DRONE_TIME_SCALE` and `ALLOCATION_LEAD_TIME_S`; a missing
    /// or empty key takes its default, a malformed one is a ``SettingError`` naming the key and the value.
    package init(reading settings: ServiceSettings) throws(SettingError) {
        self.init()
        if let fleet = settings.string("DRONE_FLEET")?.trimmingCharacters(in: .whitespaces), !fleet.isEmpty {
            self.fleet = try FleetSpecification(parsing: fleet)
        }
        if let home = settings.string("DRONE_HOME")?.trimmingCharacters(in: .whitespaces), !home.isEmpty {
            self.home = try Self.parseHome(home)
        }
        timeScale = try settings.parsed("DRONE_TIME_SCALE", "must be a number ≥ 0 (1 = real time, 0 = instant)") { text in
            Double(text).flatMap { $0.isFinite && $0 >= 0 ? $0 : nil }
        } ?? timeScale
        allocationLeadTime = try settings.parsed(
            AllocationLeadTime.environmentKey, AllocationLeadTime.requirement, AllocationLeadTime.seconds(parsing:)) ?? allocationLeadTime
    }

    /// Parses `LATITUDE,LONGITUDE` (decimal degrees, latitude −90…90, longitude −180…180).
    static func parseHome(_ text: String) throws(SettingError) -> GeoLocation {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.count == 2, let latitude = Double(parts[0]), let longitude = Double(parts[1]),
              latitude.isFinite, longitude.isFinite
        else {
            throw SettingError(key: "DRONE_HOME", "'\(text)' is invalid: expected LATITUDE,LONGITUDE such as 47.6062,-122.3321")
        }
        guard (-90...90).contains(latitude), (-180...180).contains(longitude) else {
            throw SettingError(key: "DRONE_HOME", "'\(text)' is out of range: latitude −90…90, longitude −180…180")
        }
        return GeoLocation(latitude: latitude, longitude: longitude)
    }
}
