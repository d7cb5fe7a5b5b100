package import SagaScenarios

/// The accounts a load run spreads its deliveries over: `owners` in all, one in twenty of them
/// suspended (for the account-suspended path), the rest active with the largest daily limit, so
/// no owner's limit turns the run into rejections.
package struct BenchOwners: Sendable, Hashable {
    /// Active accounts, `bench-active-0000` onwards.
    package var active: Int
    /// Suspended accounts, `bench-suspended-0000` onwards.
    package var suspended: Int

    /// `owners` accounts: max(1, owners / 20) suspended, the rest (at least one) active.
    package init(owners: Int) {
        suspended = max(1, owners / 20)
        active = max(1, owners - suspended)
    }

    /// The id of active account `index` (taken modulo ``active``).
    package func activeOwnerId(_ index: Int) -> String { "bench-active-" + Self.number(index % active) }

    /// The id of suspended account `index` (taken modulo ``suspended``).
    package func suspendedOwnerId(_ index: Int) -> String { "bench-suspended-" + Self.number(index % suspended) }

    /// The owner of the `index`-th delivery of `path`: the suspended accounts for
    /// account-suspended, the path's own trigger owner for account-unknown and over-daily-limit,
    /// the active accounts in turn for every other path.
    package func ownerId(for path: SagaPath, index: Int) -> String {
        switch path {
        case .accountSuspended: suspendedOwnerId(index)
        case .accountUnknown, .overDailyLimit: path.ownerId
        default: activeOwnerId(index)
        }
    }

    /// Four digits at least, zero-padded.
    private static func number(_ value: Int) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}
