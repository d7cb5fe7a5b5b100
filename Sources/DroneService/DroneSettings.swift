package import Contracts
package import Foundation

/// The drone service's settings, from the environment:
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

    /// Reads `DRONE_FLEET`, `DRONE_HOME` and `DRONE_TIME_SCALE`; a missing or empty key takes its
    /// default, a malformed one is an error naming the key and the value.
    package static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> DroneSettings {
        func value(_ key: String) -> String? {
            guard let text = environment[key]?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
            return text
        }
        var settings = DroneSettings()
        if let fleet = value("DRONE_FLEET") { settings.fleet = try FleetSpecification(parsing: fleet) }
        if let home = value("DRONE_HOME") { settings.home = try parseHome(home) }
        if let scale = value("DRONE_TIME_SCALE") {
            guard let number = Double(scale), number.isFinite, number >= 0 else {
                throw DroneServiceError(.invalidSetting, "DRONE_TIME_SCALE '\(scale)' is invalid: it must be a number ≥ 0 (1 = real time, 0 = instant)")
            }
            settings.timeScale = number
        }
        guard let lead = AllocationLeadTime.seconds(from: environment) else {
            throw DroneServiceError(.invalidSetting, "\(AllocationLeadTime.environmentKey) '\(environment[AllocationLeadTime.environmentKey] ?? "")' is invalid: it must be a number of seconds > 0")
        }
        settings.allocationLeadTime = lead
        return settings
    }

    /// Parses `LATITUDE,LONGITUDE` (decimal degrees, latitude −90…90, longitude −180…180).
    static func parseHome(_ text: String) throws(DroneServiceError) -> GeoLocation {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.count == 2, let latitude = Double(parts[0]), let longitude = Double(parts[1]),
              latitude.isFinite, longitude.isFinite
        else {
            throw DroneServiceError(.invalidSetting, "DRONE_HOME '\(text)' is invalid: expected LATITUDE,LONGITUDE such as 47.6062,-122.3321")
        }
        guard (-90...90).contains(latitude), (-180...180).contains(longitude) else {
            throw DroneServiceError(.invalidSetting, "DRONE_HOME '\(text)' is out of range: latitude −90…90, longitude −180…180")
        }
        return GeoLocation(latitude: latitude, longitude: longitude)
    }
}
