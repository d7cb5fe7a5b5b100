import Foundation

/// Fixed values the `sample()` factories share, so samples are deterministic.
enum SampleValues {
    static let pickup = GeoLocation(latitude: 47.6062, longitude: -122.3321)
    static let dropoff = GeoLocation(latitude: 47.6588, longitude: -122.3125)
    static let packageId = UUID(uuidString: "1e0c5a2b-8d3f-4c71-a9e6-5b2d7f4c8a10")!
    static let ownerId = "acct-active-001"
    static let droneId = "drone-003"

    /// The instant an RFC 3339 literal denotes; the literals here are known to be valid.
    static func time(_ text: String) -> Date {
        guard let date = RFC3339.date(from: text) else { preconditionFailure("invalid sample time \(text)") }
        return date
    }
}
