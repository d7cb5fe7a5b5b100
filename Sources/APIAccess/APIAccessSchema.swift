package import Choreography
import Logging
package import Postgres

/// The `access` schema that holds the API keys, created with an administrator connection; the
/// services that authenticate requests only read it, with their own role.
package enum APIAccessSchema {
    /// The schema's name.
    package static let schema = "access"
    /// The keys table, schema-qualified (the services' search_path is their own schema).
    package static let keysTable = "\(schema).api_keys"

    /// The schema and its table; idempotent, so every start (and saga-admin) may run it.
    static let creation = """
        CREATE SCHEMA IF NOT EXISTS \(schema);
        REVOKE ALL ON SCHEMA \(schema) FROM PUBLIC;
        CREATE TABLE IF NOT EXISTS \(keysTable) (
            id         uuid PRIMARY KEY,
            key_hash   text NOT NULL UNIQUE,
            kind       text NOT NULL CHECK (kind IN ('customer', 'operator')),
            owner_id   text,
            label      text NOT NULL DEFAULT '',
            created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
            revoked_at timestamptz,
            CHECK ((kind = 'customer') = (owner_id IS NOT NULL))
        );
        """

    /// Creates the schema and table (under an advisory lock, so services starting together do
    /// not race) and, when `reader` is given, lets that role read the keys: USAGE on the schema,
    /// SELECT on the table.
    package static func prepare(on db: isolated PostgresConnection, reader: SQLIdentifier? = nil) throws {
        try lock(on: db)
        try db.simpleQuery(creation)
        if let reader {
            try db.simpleQuery("GRANT USAGE ON SCHEMA \(schema) TO \(reader); GRANT SELECT ON \(keysTable) TO \(reader);")
        }
        // The read-only inspector role (the saga explorer checks an operator's key before a
        // replay) reads the keys' hashes too, when it exists.
        try db.simpleQuery("""
            DO $$
            BEGIN
                IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '\(ServiceDatabaseRole.inspector)') THEN
                    GRANT USAGE ON SCHEMA \(schema) TO \(ServiceDatabaseRole.inspector);
                    GRANT SELECT ON \(keysTable) TO \(ServiceDatabaseRole.inspector);
                END IF;
            END
            $$;
            """)
    }

    /// Takes the transaction-scoped lock every change to the schema's privileges holds (two
    /// concurrent GRANTs on one object fail with "tuple concurrently updated").
    package static func lock(on db: isolated PostgresConnection) throws {
        _ = try db.query("SELECT pg_advisory_xact_lock(hashtext('fabrikam.access'))", [])
    }

    /// The admin set-up a service that authenticates requests registers on its definition: the
    /// schema, and read access for the service's role.
    package static let adminSetup: AdminSetupTask = { db, role, _ in try prepare(on: db, reader: role) }
}
