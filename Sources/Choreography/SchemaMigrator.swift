public import Logging
public import Postgres

/// Applies the runtime's tables and a service's migrations to the service's schema, in version
/// order, once, under an advisory lock so that several instances starting together do not race.
public struct SchemaMigrator: Sendable {
    /// The service's schema.
    public var schema: SQLIdentifier
    /// The service's own migrations.
    public var migrations: [Migration]

    /// Prepares to migrate `schema`.
    public init(schema: SQLIdentifier, migrations: [Migration]) {
        self.schema = schema
        self.migrations = migrations
    }

    /// Migrates; returns the migrations applied now (as "component/version name"). The schema must
    /// exist or the connecting role must be allowed to create it.
    @discardableResult
    public func migrate(on connection: PostgresConnection, logger: Logger) async throws -> [String] {
        try validate()
        let schema = self.schema
        let components = [("runtime", RuntimeMigrations.all), ("service", migrations)]
        let applied = try await connection.transaction { db -> [String] in
            _ = try db.query("SELECT pg_advisory_xact_lock(hashtext($1))", [.text("fabrikam.migrate.\(schema)")])
            let exists = try db.query("SELECT 1 FROM pg_namespace WHERE nspname = $1", [.text(schema.name)])
            if exists.isEmpty {
                try db.simpleQuery("CREATE SCHEMA \(schema)")
            }
            try db.simpleQuery("""
                SET LOCAL search_path TO \(schema);
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    component  text NOT NULL,
                    version    int NOT NULL,
                    name       text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now(),
                    PRIMARY KEY (component, version)
                );
                """)
            var recorded: [String: String] = [:]
            for row in try db.query("SELECT component, version, name FROM schema_migrations", []) {
                let key = "\(try row.decode(String.self, column: "component"))/\(try row.decode(Int.self, column: "version"))"
                recorded[key] = try row.decode(String.self, column: "name")
            }
            var appliedNow: [String] = []
            for (component, list) in components {
                for migration in list.sorted(by: { $0.version < $1.version }) {
                    let key = "\(component)/\(migration.version)"
                    if let name = recorded[key] {
                        guard name == migration.name else {
                            throw ChoreographyError(.migration, "\(schema) \(key) was applied as '\(name)' but the code calls it '\(migration.name)'")
                        }
                        continue
                    }
                    do {
                        try db.simpleQuery(migration.sql)
                    } catch {
                        throw ChoreographyError(.migration, "\(schema) \(key) '\(migration.name)' failed: \(error)")
                    }
                    _ = try db.execute(
                        "INSERT INTO schema_migrations (component, version, name) VALUES ($1, $2, $3)",
                        [.text(component), .int(migration.version), .text(migration.name)])
                    appliedNow.append("\(key) \(migration.name)")
                }
            }
            return appliedNow
        }
        for entry in applied {
            logger.info("migration applied", metadata: ["pg.schema": "\(schema)", "migration.name": "\(entry)"])
        }
        return applied
    }

    private func validate() throws {
        var seen = Set<Int>()
        for migration in migrations {
            guard migration.version >= 1, seen.insert(migration.version).inserted else {
                throw ChoreographyError(.migration, "\(schema): migration versions must be unique and start at 1 (\(migration.version))")
            }
        }
    }
}

/// Creates a service's database role and schema with an administrator connection: the role can
/// log in and owns its schema; besides superusers, only the read-only inspector role can read it.
public enum ServiceDatabaseRole {
    /// The read-only role `saga-inspect` and the load generator use: it may read every service's
    /// schema and write none. Created here without a login; whoever provisions the servers gives
    /// it a login and a generated password (`scripts/servers.sh`, Compose's setup).
    public static let inspector = "saga_inspect"

    /// Ensures the role exists with this password and owns `schema`, and that the read-only
    /// inspector role can read the schema's tables (now and future ones); idempotent.
    public static func ensure(role: SQLIdentifier, password: String, schema: SQLIdentifier, admin: PostgresConnection) async throws {
        try await admin.transaction { db in
            _ = try db.query("SELECT pg_advisory_xact_lock(hashtext('fabrikam.roles'))", [])
            _ = try db.query("SELECT set_config('fabrikam.role_password', $1, true)", [.text(password)])
            try db.simpleQuery("""
                DO $$
                BEGIN
                    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '\(role)') THEN
                        EXECUTE format('CREATE ROLE %I LOGIN PASSWORD %L', '\(role)', current_setting('fabrikam.role_password'));
                    ELSE
                        EXECUTE format('ALTER ROLE %I LOGIN PASSWORD %L', '\(role)', current_setting('fabrikam.role_password'));
                    END IF;
                END
                $$;
                CREATE SCHEMA IF NOT EXISTS \(schema) AUTHORIZATION \(role);
                ALTER SCHEMA \(schema) OWNER TO \(role);
                REVOKE ALL ON SCHEMA \(schema) FROM PUBLIC;
                ALTER ROLE \(role) SET search_path TO \(schema);
                DO $$
                BEGIN
                    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '\(ServiceDatabaseRole.inspector)') THEN
                        CREATE ROLE \(ServiceDatabaseRole.inspector) NOLOGIN;
                    END IF;
                END
                $$;
                GRANT USAGE ON SCHEMA \(schema) TO \(ServiceDatabaseRole.inspector);
                GRANT SELECT ON ALL TABLES IN SCHEMA \(schema) TO \(ServiceDatabaseRole.inspector);
                ALTER DEFAULT PRIVILEGES FOR ROLE \(role) IN SCHEMA \(schema) GRANT SELECT ON TABLES TO \(ServiceDatabaseRole.inspector);
                """)
        }
    }
}
