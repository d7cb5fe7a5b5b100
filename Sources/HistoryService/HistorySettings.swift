package import Choreography
import Foundation

/// The history service's settings, read through ``ServiceSettings`` by the executable.
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

    /// The settings of the history service in `environment` (see ``init(reading:)``).
    package static func fromEnvironment(
        _ environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(SettingError) -> HistorySettings {
        try HistorySettings(reading: ServiceSettings(service: "history", environment: environment))
    }

    /// Settings from `settings` (the keys above); a missing or empty key takes its default,
    /// a malformed one throws ``SettingError`` naming it.
    package init(reading settings: ServiceSettings) throws(SettingError) {
        let range = 1...HistoryQueries.timelineLimit
        self.init(timelineLimit: try settings.parsed("HISTORY_TIMELINE_LIMIT", "must be a whole number in \(range)") { text in
            Int(text).flatMap { range.contains($0) ? $0 : nil }
        } ?? HistoryQueries.timelineLimit)
    }
}
