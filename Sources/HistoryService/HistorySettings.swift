package import Choreography
import Foundation

/// The history service's settings, read from the environment by the executable.
///
/// Keys and defaults:
/// - `HISTORY_TIMELINE_LIMIT` (default `1000`, the API's maximum): the most events
///   `GET /api/deliveries/{deliveryId}/events` returns, 1…1000.
package struct HistorySettings: Sendable {
    /// The most events a timeline returns.
    package var timelineLimit: Int

    /// Settings with the documented defaults unless given.
    package init(timelineLimit: Int = HistoryQueries.timelineLimit) {
        self.timelineLimit = timelineLimit
    }

    /// Settings from environment variables (the keys above); a missing key takes its default,
    /// a malformed one throws ``SettingError`` naming it.
    package static func fromEnvironment(
        _ environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(SettingError) -> HistorySettings {
        var settings = HistorySettings()
        if let text = environment["HISTORY_TIMELINE_LIMIT"] {
            guard let limit = Int(text.trimmingCharacters(in: .whitespaces)), (1...HistoryQueries.timelineLimit).contains(limit) else {
                throw SettingError(
                    key: "HISTORY_TIMELINE_LIMIT", "'\(text)' is not a whole number in 1...\(HistoryQueries.timelineLimit)")
            }
            settings.timelineLimit = limit
        }
        return settings
    }
}
