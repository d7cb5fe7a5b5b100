import AccountService
import Postgres
import SagaLoadMeasures

/// Makes sure the accounts a load run spreads its deliveries over exist, with the right status
/// and the largest daily limit (through ``AccountAdmin``, in one transaction, before the run).
enum BenchAccounts {
    /// Adds the missing ``BenchOwners`` accounts to the account schema `schema` and sets every one's status.
    static func provision(_ owners: BenchOwners, databaseURL: String, schema: String = "account") async throws {
        let connection = try await PostgresConnection.connect(url: databaseURL, applicationName: "saga-bench accounts")
        do {
            _ = try await connection.simpleQuery("SET search_path TO \(schema)")
            try await connection.transaction { db in
                for index in 0..<owners.active {
                    let ownerId = owners.activeOwnerId(index)
                    if try !add(ownerId, db) { try AccountAdmin.activate(ownerId: ownerId, on: db) }
                }
                for index in 0..<owners.suspended {
                    let ownerId = owners.suspendedOwnerId(index)
                    _ = try add(ownerId, db)
                    try AccountAdmin.suspend(ownerId: ownerId, on: db)
                }
            }
        } catch {
            await connection.close()
            throw error
        }
        // Closing ends the backend, which flushes its statistics before the run's counters are read.
        await connection.close()
    }

    /// Adds an active account with the largest daily limit; `false` when it exists already.
    private static func add(_ ownerId: String, _ db: isolated PostgresConnection) throws -> Bool {
        do {
            try AccountAdmin.add(ownerId: ownerId, dailyLimit: AccountAdmin.maximumDailyLimit, on: db)
            return true
        } catch let error as AccountAdminError where error.code == .accountExists {
            return false
        }
    }
}
