import Foundation
import IntegrationSupport
import Postgres
import Synchronization
import Testing

/// Leasing, waiting, replacing and closing in `PostgresConnectionPool`.
@Suite("Postgres connection pool")
struct PostgresConnectionPoolTests {
    /// Records which connections are leased right now and whether one was ever leased twice.
    private final class LeaseLedger: Sendable {
        private struct State {
            var inUse: Set<ObjectIdentifier> = []
            var seen: Set<ObjectIdentifier> = []
            var overlaps = 0
            var mostAtOnce = 0
        }
        private let state = Mutex(State())

        func begin(_ connection: PostgresConnection) {
            state.withLock { state in
                let id = ObjectIdentifier(connection)
                if !state.inUse.insert(id).inserted { state.overlaps += 1 }
                state.seen.insert(id)
                state.mostAtOnce = max(state.mostAtOnce, state.inUse.count)
            }
        }

        func end(_ connection: PostgresConnection) {
            _ = state.withLock { $0.inUse.remove(ObjectIdentifier(connection)) }
        }

        var summary: (overlaps: Int, distinct: Int, mostAtOnce: Int) {
            state.withLock { ($0.overlaps, $0.seen.count, $0.mostAtOnce) }
        }
    }

    private func makePool(_ maximum: Int) throws -> PostgresConnectionPool {
        PostgresConnectionPool(url: try TestServers.databaseURL(), maximumConnections: maximum, applicationName: "PostgresPoolTests")
    }

    @Test("more tasks than connections all complete, never sharing a connection")
    func moreTasksThanConnections() async throws {
        let pool = try makePool(3)
        let ledger = LeaseLedger()
        let tasks = 40
        let results = try await withThrowingTaskGroup(of: Int.self) { group in
            for task in 0..<tasks {
                group.addTask {
                    try await pool.withConnection { connection in
                        ledger.begin(connection)
                        defer { ledger.end(connection) }
                        let value = try connection.query("SELECT $1::int8 * 2", [.int(task)])[0].decode(Int.self, at: 0)
                        try await Task.sleep(for: .milliseconds(5))
                        _ = try connection.query("SELECT pg_backend_pid()")
                        return value
                    }
                }
            }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(results.sorted() == (0..<tasks).map { $0 * 2 })
        let summary = ledger.summary
        #expect(summary.overlaps == 0, "a connection was leased to two tasks at once")
        #expect(summary.distinct <= 3)
        #expect(summary.mostAtOnce <= 3)
        #expect(summary.mostAtOnce >= 2, "leases ran in parallel")
        let statistics = pool.statistics
        #expect(statistics.open <= 3 && statistics.waiting == 0 && statistics.idle == statistics.open)
        await pool.close()
    }

    @Test("withTransaction commits on success and rolls back on error")
    func poolTransactions() async throws {
        let pool = try makePool(2)
        let table = PostgresTestDatabase.uniqueName("pooltx")
        try await pool.withConnection { try $0.simpleQuery("CREATE TABLE \(table) (id int4 PRIMARY KEY)") }
        try await pool.withTransaction { try $0.execute("INSERT INTO \(table) VALUES (1), (2)") }
        await #expect(throws: PostgresError.self) {
            try await pool.withTransaction { connection in
                try connection.execute("INSERT INTO \(table) VALUES (3)")
                try connection.execute("INSERT INTO \(table) VALUES (1)")
            }
        }
        let ids = try await pool.withConnection { connection in
            try connection.query("SELECT id FROM \(table) ORDER BY id").map { try $0.decode(Int.self, at: 0) }
        }
        #expect(ids == [1, 2])
        try await pool.withConnection { try $0.simpleQuery("DROP TABLE \(table)") }
        await pool.close()
    }

    @Test("a transaction left open by a lease is rolled back before the next lease")
    func leftoverTransactionIsRolledBack() async throws {
        let pool = try makePool(1)
        let table = PostgresTestDatabase.uniqueName("leftover")
        try await pool.withConnection { connection in
            try connection.simpleQuery("CREATE TABLE \(table) (id int4)")
            try connection.simpleQuery("BEGIN")
            try connection.execute("INSERT INTO \(table) VALUES (1)")
        }
        let (count, inTransaction) = try await pool.withConnection { connection in
            (try connection.query("SELECT count(*) FROM \(table)")[0].decode(Int.self, at: 0), connection.isInTransaction)
        }
        #expect(count == 0)
        #expect(inTransaction == false)
        try await pool.withConnection { try $0.simpleQuery("DROP TABLE \(table)") }
        await pool.close()
    }

    @Test("a connection whose backend was killed is replaced transparently")
    func brokenConnectionIsReplaced() async throws {
        let pool = try makePool(1)
        let killer = try await PostgresTestDatabase.connect()
        let firstPID = try await pool.withConnection { $0.backendPID }
        try await killer.query("SELECT pg_terminate_backend($1)", [.int32(firstPID)])
        #expect(try await PostgresTestDatabase.eventually {
            try await killer.query("SELECT count(*) FROM pg_stat_activity WHERE pid = $1", [.int32(firstPID)])[0].decode(Int.self, at: 0) == 0
        })
        let secondPID = try await pool.withConnection { connection in
            try connection.query("SELECT pg_backend_pid()")[0].decode(Int32.self, at: 0)
        }
        #expect(secondPID != firstPID)
        #expect(pool.statistics.open == 1)
        await pool.close()
    }

    @Test("a waiting lease can be cancelled, and a closed pool refuses leases")
    func cancellationAndClose() async throws {
        let pool = try makePool(1)
        let (heldStream, held) = AsyncStream.makeStream(of: Void.self)
        let (releaseStream, release) = AsyncStream.makeStream(of: Void.self)
        async let holder: Void = pool.withConnection { _ in
            held.yield()
            for await _ in releaseStream { break }
        }
        for await _ in heldStream { break }
        let waiter = Task { try await pool.withConnection { $0.backendPID } }
        #expect(await PostgresTestDatabase.eventually { pool.statistics.waiting == 1 })
        waiter.cancel()
        await #expect(throws: CancellationError.self) { try await waiter.value }
        #expect(pool.statistics.waiting == 0)
        release.yield()
        try await holder

        #expect(try await pool.withConnection { $0.backendPID } > 0)
        await pool.close()
        let error = await #expect(throws: PostgresError.self) { try await pool.withConnection { $0.backendPID } }
        #expect(error?.code == .poolClosed)
    }
}
