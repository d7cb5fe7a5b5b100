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

    @Test("deferred statements travel with the next statement, or with the COMMIT, in one transaction")
    func deferredStatementsCommit() async throws {
        let connection = try await PostgresTestDatabase.connect()
        let table = PostgresTestDatabase.uniqueName("deferred")
        try await connection.simpleQuery("CREATE TABLE \(table) (id int PRIMARY KEY, tx bigint NOT NULL DEFAULT txid_current())")
        // Deferred then a query: the query sees the deferred rows, all in one transaction.
        try await connection.transaction { db in
            try db.executeDeferred("INSERT INTO \(table) (id) VALUES ($1)", [.int(1)])
            try db.executeDeferred("INSERT INTO \(table) (id) VALUES ($1)", [.int(2)])
            let rows = try db.query("SELECT count(*) AS n, count(DISTINCT tx) AS t, max(tx) = txid_current() AS same FROM \(table)")
            #expect(try rows[0].decode(Int.self, column: "n") == 2)
            #expect(try rows[0].decode(Int.self, column: "t") == 1)
            #expect(try rows[0].decode(Bool.self, column: "same"))
        }
        // Deferred with nothing after: sent with the COMMIT.
        try await connection.transaction { db in
            try db.executeDeferred("INSERT INTO \(table) (id) VALUES ($1)", [.int(3)])
        }
        // Deferred then queryAndCommit.
        try await connection.transaction { db in
            try db.executeDeferred("INSERT INTO \(table) (id) VALUES ($1)", [.int(4)])
            try db.queryAndCommit("INSERT INTO \(table) (id) VALUES ($1)", [.int(5)])
        }
        #expect(try await connection.query("SELECT count(*) AS n FROM \(table)")[0].decode(Int.self, column: "n") == 5)
        #expect(await connection.isInTransaction == false)
        // Outside a transaction it is refused.
        let refused = await #expect(throws: PostgresError.self) { try await connection.executeDeferred("SELECT 1") }
        #expect(refused?.code == .transactionState)
        try await connection.simpleQuery("DROP TABLE \(table)")
        await connection.close()
    }

    @Test("a failing deferred statement fails the next call and the whole transaction rolls back")
    func failingDeferredStatementRollsBack() async throws {
        let connection = try await PostgresTestDatabase.connect()
        let table = PostgresTestDatabase.uniqueName("deffail")
        try await connection.simpleQuery("CREATE TABLE \(table) (id int PRIMARY KEY); INSERT INTO \(table) VALUES (7)")
        let atNext = await #expect(throws: PostgresError.self) {
            try await connection.transaction { db in
                try db.executeDeferred("INSERT INTO \(table) VALUES ($1)", [.int(8)])
                try db.executeDeferred("INSERT INTO \(table) VALUES ($1)", [.int(7)])  // duplicate key
                try db.execute("INSERT INTO \(table) VALUES ($1)", [.int(9)])
            }
        }
        #expect(atNext?.isUniqueViolation == true)
        let atCommit = await #expect(throws: PostgresError.self) {
            try await connection.transaction { db in
                try db.executeDeferred("INSERT INTO \(table) VALUES ($1)", [.int(10)])
                try db.executeDeferred("INSERT INTO \(table) VALUES ($1)", [.int(7)])  // duplicate key, found at COMMIT
            }
        }
        #expect(atCommit?.isUniqueViolation == true)
        #expect(try await connection.query("SELECT count(*) AS n FROM \(table)")[0].decode(Int.self, column: "n") == 1)
        #expect(await connection.isInTransaction == false)
        // The session is still usable.
        try await connection.transaction { db in try db.executeDeferred("INSERT INTO \(table) VALUES ($1)", [.int(11)]) }
        #expect(try await connection.query("SELECT count(*) AS n FROM \(table)")[0].decode(Int.self, column: "n") == 2)
        try await connection.simpleQuery("DROP TABLE \(table)")
        await connection.close()
    }

    @Test("queryDeferred: the rows of several queued statements arrive with the COMMIT, in one transaction")
    func deferredQueriesReturnRowsAfterCommit() async throws {
        let connection = try await PostgresTestDatabase.connect()
        let table = PostgresTestDatabase.uniqueName("defq")
        try await connection.simpleQuery("CREATE TABLE \(table) (id serial PRIMARY KEY, name text NOT NULL, tx text NOT NULL DEFAULT txid_current()::text)")
        let results = try await connection.transaction { db -> [DeferredRows] in
            let results = try (0..<5).map { index in
                try db.queryDeferred("INSERT INTO \(table) (name) VALUES ($1) RETURNING id, name", [.text("row-\(index)")])
            }
            // Not sent yet: reading now is refused.
            #expect(throws: PostgresError.self) { _ = try results[0].rows }
            return results
        }
        let names = try results.map { try $0.rows[0].decode(String.self, column: "name") }
        #expect(names == (0..<5).map { "row-\($0)" })
        let ids = try results.map { try $0.rows[0].decode(Int.self, column: "id") }
        #expect(ids == ids.sorted() && Set(ids).count == 5)
        #expect(try await connection.query("SELECT count(DISTINCT tx) AS n FROM \(table)")[0].decode(Int.self, column: "n") == 1)
        // A statement after queued ones carries them, and they get their rows then.
        try await connection.transaction { db in
            let queued = try db.queryDeferred("INSERT INTO \(table) (name) VALUES ('queued') RETURNING id")
            let count = try db.query("SELECT count(*) AS n FROM \(table)")[0].decode(Int.self, column: "n")
            #expect(count == 6)
            #expect(try queued.rows.count == 1)
        }
        // A failing one: the transaction throws and nothing of it stays.
        let failed = await #expect(throws: PostgresError.self) {
            try await connection.transaction { db in
                _ = try db.queryDeferred("INSERT INTO \(table) (name) VALUES ('lost') RETURNING id")
                _ = try db.queryDeferred("INSERT INTO \(table) (name) VALUES (NULL) RETURNING id")
            }
        }
        #expect(failed?.sqlState == "23502")
        #expect(try await connection.query("SELECT count(*) AS n FROM \(table)")[0].decode(Int.self, column: "n") == 6)
        try await connection.simpleQuery("DROP TABLE \(table)")
        await connection.close()
    }
}
