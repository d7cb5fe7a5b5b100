package import Choreography
package import Contracts
import Foundation

/// A circular area drones may not drop off in: a centre and a radius along the Earth's surface.
package struct NoFlyZone: Sendable, Hashable, CustomStringConvertible {
    /// A short name for logs and reason messages, e.g. `sea-tac-airport`.
    package var name: String
    /// The zone's centre.
    package var centre: GeoLocation
    /// The zone's radius in kilometres (more than 0).
    package var radiusKm: Double

    /// A zone from its name, centre and radius.
    package init(name: String, centre: GeoLocation, radiusKm: Double) {
        self.name = name
        self.centre = centre
        self.radiusKm = radiusKm
    }

    /// Seattle–Tacoma International Airport, 4 km around the terminal: the default zone.
    package static let seaTacAirport = NoFlyZone(
        name: "sea-tac-airport", centre: GeoLocation(latitude: 47.4502, longitude: -122.3088), radiusKm: 4)

    /// Whether `location` is inside the zone (its great-circle distance to the centre is at most the radius).
    package func contains(_ location: GeoLocation) -> Bool {
        GreatCircle.distanceKm(from: centre, to: location) <= radiusKm
    }

    /// The zone in the `DELIVERY_NO_FLY_ZONES` form, `name:lat,lon,radiusKm`.
    package var description: String { "\(name):\(centre.latitude),\(centre.longitude),\(radiusKm)" }

    /// Parses a zone list, `name:lat,lon,radiusKm;name2:lat,lon,radiusKm` (spaces around the parts
    /// are ignored, an empty string or empty entries mean no zone). Throws
    /// ``SettingError`` naming the entry and what is wrong with it.
    package static func parseList(_ text: String) throws(SettingError) -> [NoFlyZone] {
        var zones: [NoFlyZone] = []
        for rawEntry in text.split(separator: ";", omittingEmptySubsequences: false) {
            let entry = rawEntry.trimmingCharacters(in: .whitespaces)
            if entry.isEmpty { continue }
            let zone = try parse(entry: entry)
            guard !zones.contains(where: { $0.name == zone.name }) else {
                throw SettingError(key: "DELIVERY_NO_FLY_ZONES", "zone name '\(zone.name)' appears twice")
            }
            zones.append(zone)
        }
        return zones
    }

    private static func parse(entry: String) throws(SettingError) -> NoFlyZone {
        func failure(_ problem: String) -> SettingError {
            SettingError(key: "DELIVERY_NO_FLY_ZONES", "entry '\(entry)': \(problem) (expected name:lat,lon,radiusKm)")
        }
        let parts = entry.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else { throw failure("missing ':' between the name and the coordinates") }
        let name = parts[0].trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty else { throw failure("the name is empty") }
        let numbers = parts[1].split(separator: ",", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces) }
        guard numbers.count == 3 else { throw failure("\(numbers.count) numbers instead of 3") }
        var values: [Double] = []
        for (text, label) in zip(numbers, ["latitude", "longitude", "radius"]) {
            guard let value = Double(text), value.isFinite else { throw failure("\(label) '\(text)' is not a number") }
            values.append(value)
        }
        guard (-90...90).contains(values[0]) else { throw failure("latitude \(values[0]) is outside -90...90") }
        guard (-180...180).contains(values[1]) else { throw failure("longitude \(values[1]) is outside -180...180") }
        guard values[2] > 0 else { throw failure("radius \(values[2]) km is not more than 0") }
        return NoFlyZone(name: name, centre: GeoLocation(latitude: values[0], longitude: values[1]), radiusKm: values[2])
    }
}
