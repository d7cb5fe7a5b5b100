/// A WGS 84 position in decimal degrees (latitude −90…90, longitude −180…180).
public struct GeoLocation: Codable, Sendable, Hashable {
    /// Degrees north (negative: south).
    public var latitude: Double
    /// Degrees east (negative: west).
    public var longitude: Double

    /// A position.
    public init(latitude: Double, longitude: Double) {
        self.latitude = latitude
        self.longitude = longitude
    }
}
