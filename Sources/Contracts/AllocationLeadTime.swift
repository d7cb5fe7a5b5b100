public import Foundation

/// How long before its pickup a delivery's drone is reserved. A booking further ahead holds no
/// drone until then: the drone service allocates at `pickupTime − lead time`, and the delivery
/// service waits for that allocation (its join timeout runs from then). Both read the same key.
public enum AllocationLeadTime {
    /// The environment key both services read.
    public static let environmentKey = "ALLOCATION_LEAD_TIME_S"
    /// The default: two hours.
    public static let defaultSeconds: TimeInterval = 7_200

    /// The lead time from `environment` (the default when absent); nil when the value is not a
    /// number of seconds > 0.
    public static func seconds(from environment: [String: String]) -> TimeInterval? {
        guard let text = environment[environmentKey]?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return defaultSeconds }
        guard let seconds = TimeInterval(text), seconds.isFinite, seconds > 0 else { return nil }
        return seconds
    }

    /// When the drone for a pickup at `pickupTime` is allocated: now, or `lead` before the pickup.
    public static func allocationTime(pickupTime: Date, now: Date, lead: TimeInterval) -> Date {
        max(now, pickupTime.addingTimeInterval(-lead))
    }
}
