import Foundation
import Postgres
import SagaLoadMeasures

/// Reads the connected database's cumulative counters: transactions from `pg_stat_database`,
/// statements from `pg_stat_statements` when the server preloads it.
enum DatabaseCounterReader {
    /// What to print when the server does not preload `pg_stat_statements`.
    static let unavailable = "statements: unavailable (restart the servers with scripts/servers.sh stop)"

    /// Whether `pg_stat_statements` can be read: the server preloads it, and the extension exists
    /// in the connected database (created here if missing, which needs a superuser).
    static func statementsAvailable(_ db: PostgresConnection) async throws -> Bool {
        let libraries = try await db.query("SELECT current_setting('shared_preload_libraries') AS libraries")
            .first?.decode(String.self, column: "libraries") ?? ""
        guard libraries.split(separator: ",").contains(where: { $0.trimmingCharacters(in: .whitespaces) == "pg_stat_statements" })
        else { return false }
        _ = try await db.simpleQuery("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        return true
    }

    /// Statements a load generator sends, to leave out of the counters (LIKE patterns on
    /// `pg_stat_statements.query`): `statements` match the statements left out, each call of one
    /// matching `transactions` is one transaction left out.
    struct Exclusions: Sendable {
        /// Patterns of the statements left out.
        var statements: [String] = []
        /// Patterns of the statements each call of which is a transaction left out.
        var transactions: [String] = []
    }

    /// The counters now, less the exclusions (which need `pg_stat_statements`): one statement
    /// (and one transaction) of the connected database itself.
    static func read(_ db: PostgresConnection, statements: Bool, excluding exclusions: Exclusions = Exclusions()) async throws -> DatabaseCounters {
        let calls = "SELECT coalesce(sum(calls), 0) FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())"
        let row = try await db.query("""
            SELECT (SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = current_database())::int8
                   \(statements ? "- (\(calls) AND query LIKE ANY($2))::int8" : "") AS transactions,
                   \(statements ? "(\(calls))::int8 - (\(calls) AND query LIKE ANY($1))::int8" : "NULL::int8") AS statements
            """, statements ? [.textArray(exclusions.statements), .textArray(exclusions.transactions)] : [])[0]
        return DatabaseCounters(
            transactions: try row.decode(Int64.self, column: "transactions"), statements: try row.decode(Int64?.self, column: "statements"))
    }
}
