import Foundation

/// Great-circle geometry on a spherical Earth (the haversine formula), in kilometres: the one
/// definition of distance every service uses (drone ranges and ETAs, no-fly zones).
public enum GreatCircle {
    /// The mean Earth radius (IUGG), in kilometres.
    public static let earthRadiusKm = 6371.0088

    /// The great-circle distance between two positions, in kilometres.
    public static func distanceKm(from start: GeoLocation, to end: GeoLocation) -> Double {
        let latitude1 = radians(start.latitude)
        let latitude2 = radians(end.latitude)
        let deltaLatitude = radians(end.latitude - start.latitude)
        let deltaLongitude = radians(end.longitude - start.longitude)
        let halfChord = sin(deltaLatitude / 2) * sin(deltaLatitude / 2)
            + cos(latitude1) * cos(latitude2) * sin(deltaLongitude / 2) * sin(deltaLongitude / 2)
        let angle = 2 * atan2(sqrt(halfChord), sqrt(max(0, 1 - halfChord)))
        return earthRadiusKm * angle
    }

    /// The position `distanceKm` from `origin` along the initial bearing `bearingDegrees`
    /// (0 = north, 90 = east).
    public static func destination(from origin: GeoLocation, distanceKm: Double, bearingDegrees: Double) -> GeoLocation {
        let angle = distanceKm / earthRadiusKm
        let bearing = radians(bearingDegrees)
        let latitude1 = radians(origin.latitude)
        let longitude1 = radians(origin.longitude)
        let latitude2 = asin(sin(latitude1) * cos(angle) + cos(latitude1) * sin(angle) * cos(bearing))
        let longitude2 = longitude1 + atan2(
            sin(bearing) * sin(angle) * cos(latitude1), cos(angle) - sin(latitude1) * sin(latitude2))
        var longitude = degrees(longitude2)
        longitude = (longitude + 540).truncatingRemainder(dividingBy: 360) - 180
        return GeoLocation(latitude: degrees(latitude2), longitude: longitude)
    }

    private static func radians(_ degrees: Double) -> Double { degrees * .pi / 180 }
    private static func degrees(_ radians: Double) -> Double { radians * 180 / .pi }
}
