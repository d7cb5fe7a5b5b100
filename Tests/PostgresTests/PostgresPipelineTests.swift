import Foundation
import Postgres
import Testing

/// BEGIN sent with a transaction's first statement, and a last statement sent with its COMMIT.
@Suite("Postgres pipelined BEGIN and queryAndCommit")
struct PostgresPipelineTests {
    @Test("a transaction's BEGIN travels with its first statement and the work commits")
    func deferredBeginCommits() async throws {
        let connection = try await PostgresTestDatabase.connect()
        let table = PostgresTestDatabase.uniqueName("pipe")
        try await connection.simpleQuery("CREATE TABLE \(table) (id int PRIMARY KEY)")
        try await connection.transaction { db in
            let inTransaction = db.isInTransaction
            #expect(inTransaction)
            try db.execute("INSERT INTO \(table) VALUES ($1)", [.int(1)])
            // Really inside one transaction: the server sees the same transaction id twice.
            let first = try db.query("SELECT txid_current() AS x")[0].decode(Int.self, column: "x")
            let second = try db.query("SELECT txid_current() AS x")[0].decode(Int.self, column: "x")
            #expect(first == second)
        }
        #expect(try await connection.query("SELECT count(*) AS n FROM \(table)")[0].decode(Int.self, column: "n") == 1)
        // A transaction that runs nothing sends nothing and leaves the session idle.
        try await connection.transaction { _ in }
        #expect(await connection.isInTransaction == false)
        try await connection.simpleQuery("DROP TABLE \(table)")
        await connection.close()
    }

    @Test("queryAndCommit commits with the statement; later statements in the body are refused")
    func queryAndCommitCommits() async throws {
        let connection = try await PostgresTestDatabase.connect()
        let table = PostgresTestDatabase.uniqueName("qac")
        try await connection.simpleQuery("CREATE TABLE \(table) (id int PRIMARY KEY)")
        try await connection.transaction { db in
            try db.execute("INSERT INTO \(table) VALUES (1)")
            let rows = try db.queryAndCommit("INSERT INTO \(table) VALUES (2) RETURNING id")
            #expect(try rows[0].decode(Int.self, column: "id") == 2)
            let refused = #expect(throws: PostgresError.self) { try db.execute("INSERT INTO \(table) VALUES (3)") }
            #expect(refused?.code == .transactionState)
        }
        #expect(try await connection.query("SELECT count(*) AS n FROM \(table)")[0].decode(Int.self, column: "n") == 2)
        #expect(await connection.isInTransaction == false)
        try await connection.simpleQuery("DROP TABLE \(table)")
        await connection.close()
    }

    @Test("a failing last statement commits nothing of the transaction, and the session stays usable")
    func failingQueryAndCommitRollsBack() async throws {
        let connection = try await PostgresTestDatabase.connect()
        let table = PostgresTestDatabase.uniqueName("qacfail")
        try await connection.simpleQuery("CREATE TABLE \(table) (id int PRIMARY KEY); INSERT INTO \(table) VALUES (7)")
        let error = await #expect(throws: PostgresError.self) {
            try await connection.transaction { db in
                try db.execute("INSERT INTO \(table) VALUES (8)")
                try db.queryAndCommit("INSERT INTO \(table) VALUES (7)")  // duplicate key
            }
        }
        #expect(error?.isUniqueViolation == true)
        #expect(error?.constraint == "\(table)_pkey")
        #expect(try await connection.query("SELECT count(*) AS n FROM \(table)")[0].decode(Int.self, column: "n") == 1)
        // The first statement of a transaction failing (BEGIN went with it) also rolls back cleanly.
        await #expect(throws: PostgresError.self) {
            try await connection.transaction { db in try db.execute("INSERT INTO \(table) VALUES (7)") }
        }
        #expect(await connection.isInTransaction == false)
        try await connection.simpleQuery("DROP TABLE \(table)")
        await connection.close()
    }

    @Test("queryAndCommit outside a transaction is refused")
    func queryAndCommitNeedsATransaction() async throws {
        let connection = try await PostgresTestDatabase.connect()
        let error = await #expect(throws: PostgresError.self) { try await connection.queryAndCommit("SELECT 1") }
        #expect(error?.code == .transactionState)
        await connection.close()
    }
}
