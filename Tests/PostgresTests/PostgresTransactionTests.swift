import Foundation
import Postgres
import Testing

/// BEGIN / COMMIT / ROLLBACK through `transaction(_:)`, and errors carrying SQLSTATE.
@Suite("Postgres transactions and server errors")
struct PostgresTransactionTests {
    private struct DomainFailure: Error {}

    private func makeTable(_ connection: PostgresConnection) async throws -> String {
        let table = PostgresTestDatabase.uniqueName("tx")
        try await connection.simpleQuery("CREATE TEMP TABLE \(table) (id int8 PRIMARY KEY, note text)")
        return table
    }

    private func count(_ connection: PostgresConnection, _ table: String) async throws -> Int {
        try await connection.query("SELECT count(*) FROM \(table)")[0].decode(Int.self, at: 0)
    }

    @Test("a committed transaction keeps its rows and returns the body's value")
    func commit() async throws {
        let connection = try await PostgresTestDatabase.connect()
        let table = try await makeTable(connection)
        let inserted = try await connection.transaction { connection in
            let isInTransaction = connection.isInTransaction
            #expect(isInTransaction)
            var total = 0
            for id in 1...3 {
                total += try connection.execute("INSERT INTO \(table) VALUES ($1, $2)", [.int(id), .text("row \(id)")])
            }
            return total
        }
        #expect(inserted == 3)
        #expect(try await count(connection, table) == 3)
        #expect(await connection.isInTransaction == false)
    }

    @Test("a unique violation rolls back the whole transaction and reports 23505 with its message")
    func uniqueViolationRollsBack() async throws {
        let connection = try await PostgresTestDatabase.connect()
        let table = try await makeTable(connection)
        let error = await #expect(throws: PostgresError.self) {
            try await connection.transaction { connection in
                try connection.execute("INSERT INTO \(table) VALUES (1, 'first')")
                try connection.execute("INSERT INTO \(table) VALUES (2, 'second')")
                try connection.execute("INSERT INTO \(table) VALUES ($1, 'duplicate')", [.int(1)])
            }
        }
        let failure = try #require(error)
        #expect(failure.code == .server)
        #expect(failure.sqlState == "23505")
        #expect(failure.isUniqueViolation)
        #expect(failure.message.contains("duplicate key value violates unique constraint"))
        #expect(failure.constraint == "\(table)_pkey")
        #expect(failure.detail?.contains("(id)=(1)") == true)
        #expect(failure.description.contains("23505") && !failure.description.contains("(id)=(1)"))
        #expect(failure.debugDescription.contains("(id)=(1)"))
        #expect(try await count(connection, table) == 0)
        #expect(await connection.isInTransaction == false)
    }

    @Test("a syntax error rolls back earlier statements and reports 42601")
    func syntaxErrorRollsBack() async throws {
        let connection = try await PostgresTestDatabase.connect()
        let table = try await makeTable(connection)
        let error = await #expect(throws: PostgresError.self) {
            try await connection.transaction { connection in
                try connection.execute("INSERT INTO \(table) VALUES (1, 'kept?')")
                try connection.query("SELEC id FROM \(table)")
            }
        }
        #expect(error?.sqlState == "42601")
        #expect(error?.message.contains("syntax error") == true)
        #expect(error?.query == "SELEC id FROM \(table)")
        #expect(try await count(connection, table) == 0)
        // The connection is usable afterwards.
        #expect(try await connection.execute("INSERT INTO \(table) VALUES (9, 'after')") == 1)
    }

    @Test("a Swift error thrown by the body rolls back and is rethrown unchanged")
    func swiftErrorRollsBack() async throws {
        let connection = try await PostgresTestDatabase.connect()
        let table = try await makeTable(connection)
        await #expect(throws: DomainFailure.self) {
            try await connection.transaction { connection in
                try connection.execute("INSERT INTO \(table) VALUES (1, 'gone')")
                throw DomainFailure()
            }
        }
        #expect(try await count(connection, table) == 0)
    }

    @Test("a body that swallows a failed statement cannot commit: the transaction is rolled back")
    func swallowedFailureIsNotCommitted() async throws {
        let connection = try await PostgresTestDatabase.connect()
        let table = try await makeTable(connection)
        let error = await #expect(throws: PostgresError.self) {
            try await connection.transaction { connection in
                try connection.execute("INSERT INTO \(table) VALUES (1, 'gone')")
                _ = try? connection.execute("INSERT INTO \(table) VALUES (1, 'duplicate')")
            }
        }
        #expect(error?.code == .transactionState)
        #expect(try await count(connection, table) == 0)
    }

    @Test("a nested transaction on the same connection is refused")
    func nestedTransactionIsRefused() async throws {
        let connection = try await PostgresTestDatabase.connect()
        let table = try await makeTable(connection)
        let error = await #expect(throws: PostgresError.self) {
            try await connection.transaction { connection in
                try connection.execute("INSERT INTO \(table) VALUES (1, 'outer')")
                try await connection.transaction { inner in
                    try inner.execute("INSERT INTO \(table) VALUES (2, 'inner')")
                }
            }
        }
        #expect(error?.code == .transactionState)
        #expect(error?.message.contains("nested") == true)
        #expect(try await count(connection, table) == 0)
    }

    @Test("another task cannot slip statements into a transaction it does not own")
    func foreignTaskIsRefusedInsideTransaction() async throws {
        let connection = try await PostgresTestDatabase.connect()
        let table = try await makeTable(connection)
        let (insideStream, inside) = AsyncStream.makeStream(of: Void.self)
        let (releaseStream, release) = AsyncStream.makeStream(of: Void.self)
        async let owner: Void = connection.transaction { connection in
            try connection.execute("INSERT INTO \(table) VALUES (1, 'owner')")
            inside.yield()
            for await _ in releaseStream { break }
            try connection.execute("INSERT INTO \(table) VALUES (2, 'owner')")
        }
        for await _ in insideStream { break }
        let error = await #expect(throws: PostgresError.self) {
            try await Task.detached { try await connection.execute("INSERT INTO \(table) VALUES (3, 'intruder')") }.value
        }
        #expect(error?.code == .transactionState)
        release.yield()
        try await owner
        let ids = try await connection.query("SELECT id FROM \(table) ORDER BY id").map { try $0.decode(Int.self, at: 0) }
        #expect(ids == [1, 2])
    }

    @Test("statements are prepared once per connection and survive a change of result type")
    func preparedStatementCache() async throws {
        let connection = try await PostgresTestDatabase.connect()
        let table = try await makeTable(connection)
        let sql = "SELECT * FROM \(table) WHERE id > $1"
        for id in 1...50 {
            try await connection.execute("INSERT INTO \(table) VALUES ($1, 'x')", [.int(id)])
            _ = try await connection.query(sql, [.int(0)])
        }
        let prepared = try await connection.query(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement = $1 OR statement = $2",
            [.text(sql), .text("INSERT INTO \(table) VALUES ($1, 'x')")])
        #expect(try prepared[0].decode(Int.self, at: 0) == 2)

        try await connection.simpleQuery("ALTER TABLE \(table) ADD COLUMN extra int4 DEFAULT 7")
        let rows = try await connection.query(sql, [.int(49)])
        #expect(rows.columns.map(\.name) == ["id", "note", "extra"])
        #expect(try rows[0].decode(Int.self, column: "extra") == 7)
    }

    @Test("a statement is planned afresh after 256 executions: a plan made on an empty table does not outlive its growth")
    func replanAfterGrowth() async throws {
        let connection = try await PostgresTestDatabase.connect()
        let table = PostgresTestDatabase.uniqueName("replan")
        // No autovacuum: no ANALYZE may replace the plan behind the test's back.
        try await connection.simpleQuery("CREATE TEMP TABLE \(table) (id int4 PRIMARY KEY, note text) WITH (autovacuum_enabled = false)")
        let sql = "SELECT t.note FROM \(table) t JOIN unnest($1::int4[]) AS u(id) ON t.id = u.id"
        // Fifty ids: the custom plans cost more than the generic one (which assumes ten), so the
        // server settles on the generic plan after five executions, made for the empty table.
        let ids: PostgresValue = .array((1...50).map { .int($0) })
        for _ in 1...10 { _ = try await connection.query(sql, [ids]) }
        try await connection.simpleQuery("INSERT INTO \(table) SELECT g, 'n' FROM generate_series(1, 20000) g")
        func currentPlan() async throws -> (names: Int, plan: String) {
            let names = try await connection.query(
                "SELECT name FROM pg_prepared_statements WHERE statement = $1 ORDER BY prepare_time DESC, name DESC", [.text(sql)]
            ).map { try $0.decode(String.self, at: 0) }
            let plan = try await connection.simpleQuery("EXPLAIN EXECUTE \(names[0])('{\((1...50).map(String.init).joined(separator: ","))}')").map { try $0.decode(String.self, at: 0) }
            return (names.count, plan.joined(separator: "\n"))
        }
        let before = try await currentPlan()
        #expect(before.names == 1)
        #expect(before.plan.contains("Seq Scan"), "the generic plan made on the empty table: \(before.plan)")
        for _ in 11...300 { _ = try await connection.query(sql, [ids]) }
        let after = try await currentPlan()
        #expect(after.names == 2)
        #expect(after.plan.contains("Index Scan"), "the plan after 256 executions: \(after.plan)")
        #expect(try await connection.query(sql, [ids]).count == 50)
    }

    @Test("simpleQuery runs several statements; parameters cannot hold NUL; COPY is refused cleanly")
    func simpleQueryAndRefusals() async throws {
        let connection = try await PostgresTestDatabase.connect()
        let table = PostgresTestDatabase.uniqueName("simple")
        let last = try await connection.simpleQuery("""
            CREATE TEMP TABLE \(table) (id int4);
            INSERT INTO \(table) VALUES (1), (2), (3);
            SELECT sum(id) AS total FROM \(table);
            """)
        #expect(try last[0].decode(Int.self, column: "total") == 6)
        #expect(last.commandTag == "SELECT 1")

        let nul = await #expect(throws: PostgresError.self) {
            try await connection.query("SELECT $1::text", [.text("a\u{0}b")])
        }
        #expect(nul?.code == .invalidParameter)

        let copy = await #expect(throws: PostgresError.self) {
            try await connection.simpleQuery("COPY (SELECT 1) TO STDOUT")
        }
        #expect(copy?.code == .unsupported)
        #expect(try await connection.query("SELECT 41 + 1")[0].decode(Int.self, at: 0) == 42)
    }
}
