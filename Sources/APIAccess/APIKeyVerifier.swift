import Foundation
import Synchronization

/// Turns a presented key into its principal, asking the store (one indexed query) at most once
/// per ``maximumAge`` for a key it has seen live: a revoked key is refused at the latest that
/// long after revocation. Unknown keys are not remembered, so a key issued a moment ago works at once.
package final class APIKeyVerifier: Sendable {
    /// How long a key found live is trusted without asking the store again.
    package static let defaultMaximumAge: Duration = .seconds(2)
    /// Past this many remembered keys, the memory starts over (it only saves queries).
    static let maximumRemembered = 10_000

    /// Looks a key's hash up in the store.
    package typealias Lookup = @Sendable (_ hash: String) async throws -> APIPrincipal?

    private let lookup: Lookup
    private let maximumAge: Duration
    private let remembered = Mutex<[String: (principal: APIPrincipal, verifiedAt: ContinuousClock.Instant)]>([:])

    /// A verifier over `lookup`.
    package init(maximumAge: Duration = defaultMaximumAge, lookup: @escaping Lookup) {
        self.maximumAge = maximumAge
        self.lookup = lookup
    }

    /// The principal of `key`, or nil when it is unknown or revoked.
    package func principal(forKey key: String) async throws -> APIPrincipal? {
        let hash = APIKeySecret.hash(key)
        let now = ContinuousClock.now
        if let entry = remembered.withLock({ $0[hash] }), Self.isFresh(verifiedAt: entry.verifiedAt, now: now, maximumAge: maximumAge) {
            return entry.principal
        }
        let principal = try await lookup(hash)
        remembered.withLock { memory in
            if let principal {
                if memory.count >= Self.maximumRemembered { memory.removeAll() }
                memory[hash] = (principal, now)
            } else {
                memory[hash] = nil
            }
        }
        return principal
    }

    /// Whether a lookup made at `verifiedAt` may still be trusted at `now`.
    static func isFresh(verifiedAt: ContinuousClock.Instant, now: ContinuousClock.Instant, maximumAge: Duration) -> Bool {
        now - verifiedAt < maximumAge
    }
}
