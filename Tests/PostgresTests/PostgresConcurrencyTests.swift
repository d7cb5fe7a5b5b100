import Foundation
import Postgres
import Testing

/// Several connections working at once, each on its own thread.
@Suite("Postgres concurrent connections")
struct PostgresConcurrencyTests {
    @Test("8 connections insert concurrently in small transactions; every row arrives once")
    func concurrentInserts() async throws {
        let setup = try await PostgresTestDatabase.connect()
        let table = PostgresTestDatabase.uniqueName("concurrent")
        try await setup.simpleQuery("CREATE TABLE \(table) (id uuid PRIMARY KEY, worker int4 NOT NULL, n int4 NOT NULL)")
        let workers = 8
        let rowsPerWorker = 250
        let pids = try await withThrowingTaskGroup(of: Int32.self) { group in
            for worker in 0..<workers {
                group.addTask {
                    let connection = try await PostgresTestDatabase.connect()
                    for batch in stride(from: 0, to: rowsPerWorker, by: 10) {
                        try await connection.transaction { connection in
                            for n in batch..<(batch + 10) {
                                try connection.execute(
                                    "INSERT INTO \(table) (id, worker, n) VALUES ($1, $2, $3)",
                                    [.uuid(UUID()), .int32(Int32(worker)), .int32(Int32(n))])
                            }
                        }
                    }
                    return await connection.backendPID
                }
            }
            return try await group.reduce(into: Set<Int32>()) { $0.insert($1) }
        }
        #expect(pids.count == workers, "each worker had its own session")
        let summary = try await setup.query(
            "SELECT count(*) AS rows, count(DISTINCT (worker, n)) AS distinct_rows, count(DISTINCT worker) AS workers FROM \(table)")
        #expect(try summary[0].decode(Int.self, column: "rows") == workers * rowsPerWorker)
        #expect(try summary[0].decode(Int.self, column: "distinct_rows") == workers * rowsPerWorker)
        #expect(try summary[0].decode(Int.self, column: "workers") == workers)
        try await setup.simpleQuery("DROP TABLE \(table)")
    }

    @Test("FOR UPDATE SKIP LOCKED gives concurrent transactions different rows, and none when all are taken")
    func skipLocked() async throws {
        let first = try await PostgresTestDatabase.connect()
        let second = try await PostgresTestDatabase.connect()
        let third = try await PostgresTestDatabase.connect()
        let table = PostgresTestDatabase.uniqueName("drones")
        try await first.simpleQuery("CREATE TABLE \(table) (id int4 PRIMARY KEY, allocated_to uuid)")
        try await first.execute("INSERT INTO \(table) (id) VALUES (1), (2)")
        let take = "SELECT id FROM \(table) WHERE allocated_to IS NULL ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED"

        let (firstID, secondID, thirdRows) = try await first.transaction { first in
            let firstID = try first.query(take)[0].decode(Int.self, at: 0)
            let (secondID, thirdRows) = try await second.transaction { second in
                let secondID = try second.query(take)[0].decode(Int.self, at: 0)
                let thirdRows = try await third.query(take).count
                try second.execute("UPDATE \(table) SET allocated_to = $1 WHERE id = $2", [.uuid(UUID()), .int(secondID)])
                return (secondID, thirdRows)
            }
            try first.execute("UPDATE \(table) SET allocated_to = $1 WHERE id = $2", [.uuid(UUID()), .int(firstID)])
            return (firstID, secondID, thirdRows)
        }
        #expect(firstID != secondID)
        #expect(Set([firstID, secondID]) == [1, 2])
        #expect(thirdRows == 0, "both rows were locked, so the third transaction found none")
        let allocated = try await third.query("SELECT count(*) FROM \(table) WHERE allocated_to IS NOT NULL")
        #expect(try allocated[0].decode(Int.self, at: 0) == 2)
        try await first.simpleQuery("DROP TABLE \(table)")
    }
}
