package import Foundation

/// The paths of the delivery saga, each with the deterministic request
/// that drives it: the demo, the load generator and the end-to-end tests submit these.
package enum SagaPath: String, CaseIterable, Sendable, Codable {
    /// Everything succeeds: Completed.
    case completed
    /// A suspended account: account.rejected, then the package and drone compensate.
    case accountSuspended = "account-suspended"
    /// An owner id no account has.
    case accountUnknown = "account-unknown"
    /// An account whose daily limit is 0.
    case overDailyLimit = "over-daily-limit"
    /// 30 kg: over every drone's payload, package.rejected.
    case packageRejected = "package-rejected"
    /// A drop-off about 230 km away: drone.allocation-failed, the package is cancelled.
    case noDroneInRange = "no-drone-in-range"
    /// A drop-off at the airport: delivery.scheduling-failed, drone released, package cancelled.
    case noFlyZone = "no-fly-zone"
    /// A deadline one minute after pickup for an 8 km flight: delivery.scheduling-failed.
    case deadlineUnreachable = "deadline-unreachable"
    /// Submitted, then cancelled at once by the customer (cancelled before pickup, or refused if
    /// the drone was faster).
    case cancelled

    /// The stage(s) the history service shows when this path has ended.
    package var expectedStages: Set<String> {
        switch self {
        case .completed: ["Completed"]
        // A rejected account may meet a package already created: once it is cancelled the stage is Compensated.
        case .accountSuspended, .accountUnknown, .overDailyLimit: ["Rejected", "Compensated"]
        case .packageRejected: ["Rejected"]
        case .noDroneInRange, .noFlyZone, .deadlineUnreachable: ["Compensated"]
        case .cancelled: ["Cancelled", "Completed"]
        }
    }

    /// The owner id this path's request uses.
    package var ownerId: String {
        switch self {
        case .accountSuspended: "acct-suspended-002"
        case .accountUnknown: "acct-unknown-999"
        case .overDailyLimit: "acct-over-limit-004"
        default: "acct-active-001"
        }
    }

    /// The JSON body of this path's `POST /api/deliveries`, with the pickup at `now`, for
    /// `ownerId` (default: the path's own ``ownerId``).
    package func requestBody(now: Date = Date(), tag: String = "load", ownerId: String? = nil) -> [UInt8] {
        let pickup = (47.6205, -122.3493)
        var dropoff = (47.6097, -122.3331)
        var weightKg = 1.2
        var size = "small"
        var deadline = now.addingTimeInterval(6 * 3600)
        switch self {
        case .packageRejected:
            weightKg = 30
            size = "large"
        case .noDroneInRange:
            dropoff = (45.5152, -122.6784)
        case .noFlyZone:
            dropoff = (47.4502, -122.3088)
        case .deadlineUnreachable:
            dropoff = (47.6800, -122.2700)
            deadline = now.addingTimeInterval(60)
        default:
            break
        }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return Array("""
            {"ownerId":"\(ownerId ?? self.ownerId)","pickupLocation":{"latitude":\(pickup.0),"longitude":\(pickup.1)},\
            "dropoffLocation":{"latitude":\(dropoff.0),"longitude":\(dropoff.1)},\
            "pickupTime":"\(formatter.string(from: now))","deadline":"\(formatter.string(from: deadline))",\
            "expedited":false,"confirmationRequired":"None",\
            "packageInfo":{"size":"\(size)","weightKg":\(weightKg),"tag":"\(tag)-\(rawValue)"}}
            """.utf8)
    }

    /// Parses a mix such as `completed=80,no-fly-zone=10,cancelled=10` into weights.
    package static func parseMix(_ text: String) throws -> [(SagaPath, Int)] {
        try text.split(separator: ",").map { item in
            let parts = item.split(separator: "=")
            guard parts.count == 2, let path = SagaPath(rawValue: String(parts[0]).trimmingCharacters(in: .whitespaces)),
                  let weight = Int(parts[1]), weight >= 0 else {
                let names = SagaPath.allCases.map(\.rawValue).joined(separator: ", ")
                throw SagaScenarioError(description: "bad mix item '\(item)': use path=weight with a path among \(names)")
            }
            return (path, weight)
        }
    }

    /// `count` paths spread by `mix` weights, interleaved (deterministic).
    package static func plan(count: Int, mix: [(SagaPath, Int)]) -> [SagaPath] {
        let total = mix.reduce(0) { $0 + $1.1 }
        guard total > 0 else { return [] }
        var plan: [SagaPath] = []
        var credit = mix.map { _ in 0 }
        for _ in 0..<count {
            for index in mix.indices { credit[index] += mix[index].1 }
            let best = credit.indices.max { credit[$0] < credit[$1] }!
            credit[best] -= total
            plan.append(mix[best].0)
        }
        return plan
    }
}

/// A scenario input that cannot be used, with the reason.
package struct SagaScenarioError: Error, CustomStringConvertible {
    package var description: String
}
