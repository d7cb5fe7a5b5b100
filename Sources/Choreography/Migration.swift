public import Foundation

/// One versioned schema change of a service, applied once, in version order.
public struct Migration: Sendable, Hashable {
    /// Strictly increasing per service, starting at 1.
    public var version: Int
    /// A short name shown in the migration history.
    public var name: String
    /// The SQL, run with `search_path` set to the service's schema (unqualified names land there).
    public var sql: String

    /// Declares a migration.
    public init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
    }
}

/// The runtime's own tables, created in every service's schema before the service's migrations:
/// the inbox (handled event ids), the outbox (committed, not yet published events) and durable
/// deadlines.
enum RuntimeMigrations {
    /// Indexes are kept to the primary keys: every other index is paid for on each event, and
    /// the outbox stays small (rows leave it once published), so scanning it by delivery is cheap.
    static let all: [Migration] = [
        Migration(version: 1, name: "inbox, outbox and deadlines", sql: """
            CREATE TABLE inbox (
                event_id    uuid PRIMARY KEY,
                event_type  text NOT NULL,
                delivery_id uuid,
                handled_at  timestamptz NOT NULL DEFAULT clock_timestamp()
            );

            CREATE TABLE outbox (
                id           bigserial PRIMARY KEY,
                event_id     uuid NOT NULL,
                event_type   text NOT NULL,
                producer     text NOT NULL,
                delivery_id  uuid,
                causation_id uuid,
                schema_version int NOT NULL,
                body         json NOT NULL,
                created_at   timestamptz NOT NULL DEFAULT clock_timestamp()
            );

            CREATE TABLE deadlines (
                id           bigserial PRIMARY KEY,
                name         text NOT NULL,
                delivery_id  uuid NOT NULL,
                fire_at      timestamptz NOT NULL,
                payload      jsonb NOT NULL DEFAULT '{}',
                causation_id uuid,
                created_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
                fired_at     timestamptz,
                cancelled_at timestamptz,
                UNIQUE (name, delivery_id)
            );
            CREATE INDEX deadlines_due ON deadlines (fire_at) WHERE fired_at IS NULL AND cancelled_at IS NULL;
            """),
        // A deadline whose handler keeps failing follows the retry policy (attempts, last_error),
        // then is parked (parked_at): it never fires again by itself, and saga-inspect shows it.
        Migration(version: 2, name: "deadline attempts and parking", sql: """
            ALTER TABLE deadlines ADD COLUMN attempts integer NOT NULL DEFAULT 0;
            ALTER TABLE deadlines ADD COLUMN last_error text;
            ALTER TABLE deadlines ADD COLUMN parked_at timestamptz;
            DROP INDEX deadlines_due;
            CREATE INDEX deadlines_due ON deadlines (fire_at) WHERE fired_at IS NULL AND cancelled_at IS NULL AND parked_at IS NULL;
            """),
    ]
}

extension Migration {
    /// Loads a service's migrations from the `Migrations` resource folder of its bundle (call it
    /// with the service target's `.module`); none when the bundle has no such folder.
    public static func load(from bundle: Bundle) throws -> [Migration] {
        guard let folder = bundle.url(forResource: "Migrations", withExtension: nil) else { return [] }
        return try load(fromResourceFolder: folder)
    }

    /// Loads a service's migrations from the `.sql` files of a resource folder (a target's
    /// `resources: [.copy("Migrations")]`), named `NNNN_short_name.sql`: the number is the
    /// version, the rest (underscores as spaces) the name. Files are returned in version order.
    public static func load(fromResourceFolder folder: URL) throws -> [Migration] {
        let files = try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "sql" }
        let migrations = try files.map { file -> Migration in
            let stem = file.deletingPathExtension().lastPathComponent
            let parts = stem.split(separator: "_", maxSplits: 1)
            guard let number = parts.first, let version = Int(number), version > 0 else {
                throw ChoreographyError(.migration, "migration file \(file.lastPathComponent) does not start with a version number")
            }
            let name = parts.count > 1 ? parts[1].replacingOccurrences(of: "_", with: " ") : stem
            return Migration(version: version, name: name, sql: try String(contentsOf: file, encoding: .utf8))
        }
        return migrations.sorted { $0.version < $1.version }
    }
}
