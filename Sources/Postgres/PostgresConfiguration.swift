/// How to reach a database and how many connections to hold, built by an executable from its
/// environment.
///
/// Keys and defaults:
/// - `url` (required): a libpq URL, `postgresql://user:password@host:port/database?param=value`;
///   any libpq parameter (`sslmode`, `connect_timeout`, `options`, ...) may be given as a query key.
///   `connect_timeout` defaults to 10 seconds when the URL has none.
/// - `applicationName` (default `nil`, keeping the URL's `application_name`): shown in
///   `pg_stat_activity`.
/// - `maximumConnections` (default 8): the pool's upper bound on open connections.
public struct PostgresConfiguration: Sendable, CustomStringConvertible {
    /// The libpq connection URL; may contain a password, which `description` never prints.
    public var url: String
    /// The `application_name` to report to the server, overriding the URL's.
    public var applicationName: String?
    /// The most connections a `PostgresConnectionPool` opens at once (at least 1).
    public var maximumConnections: Int

    /// Makes a configuration; see the type's documentation for the defaults.
    public init(url: String, applicationName: String? = nil, maximumConnections: Int = 8) {
        self.url = url
        self.applicationName = applicationName
        self.maximumConnections = maximumConnections
    }

    /// The target without the password, e.g. `postgresql://app@db:5432/fabrikam`.
    public var description: String {
        (try? PostgresConnectionParameters(url: url, applicationName: applicationName).target) ?? "postgresql://(invalid URL)"
    }
}
