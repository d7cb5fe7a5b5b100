/// Placeholder while the Postgres client is written.
enum PostgresPlaceholder {}
