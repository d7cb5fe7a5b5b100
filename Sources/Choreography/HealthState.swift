import Synchronization

/// What the readiness probe reports: connected to the broker and the database, and migrated.
public final class HealthState: Sendable {
    private struct Flags {
        var brokerConnected = false
        var databaseConnected = false
        var migrated = false
    }

    private let flags = Mutex(Flags())

    /// Starts not ready.
    public init() {}

    /// Ready only when connected to both servers and migrated.
    public var isReady: Bool { flags.withLock { $0.brokerConnected && $0.databaseConnected && $0.migrated } }

    /// A line per condition, for the readiness response body.
    public var report: [String: Bool] {
        flags.withLock { ["broker": $0.brokerConnected, "database": $0.databaseConnected, "migrated": $0.migrated] }
    }

    func setBrokerConnected(_ value: Bool) { flags.withLock { $0.brokerConnected = value } }
    func setDatabaseConnected(_ value: Bool) { flags.withLock { $0.databaseConnected = value } }
    func setMigrated(_ value: Bool) { flags.withLock { $0.migrated = value } }
}
