package import ArgumentParser
import Foundation
package import Postgres
package import SagaInspect

/// The exit codes `--help` and docs/saga-inspect.md document.
package enum SagaInspectExit {
    package static let notFound = ExitCode(1)
    package static let needsAttention = ExitCode(2)
    package static let cannotConnect = ExitCode(3)
    package static let usage = ExitCode(64)
}

/// Where the database and the broker are.
package struct ConnectionOptions: ParsableArguments {
    /// Options as parsed (ArgumentParser fills them in).
    package init() {}

    /// The local servers' read-only role; its password comes from libpq's PGPASSWORD or ~/.pgpass.
    package static let defaultDatabaseURL = "postgresql://saga_inspect@127.0.0.1:5440/fabrikam"
    /// The local broker; saga-inspect's own user needs its password in the URL.
    package static let defaultAMQPURL = "amqp://saga-inspect@127.0.0.1:5680/%2f"

    @Option(help: ArgumentHelp(
        "PostgreSQL URL of a role that may read the six schemas.",
        discussion: "Default: $SAGA_INSPECT_DATABASE_URL, else $DATABASE_URL, else \(defaultDatabaseURL)."))
    package var databaseURL: String?

    @Option(name: .customLong("amqp-url"), help: ArgumentHelp(
        "Broker URL, for the parking queues.", discussion: "Default: $SAGA_INSPECT_AMQP_URL, else $AMQP_URL, else \(defaultAMQPURL)."))
    package var amqpURL: String?

    @Option(help: "Put before the services' queue names (default: $QUEUE_PREFIX, else none).")
    package var queuePrefix: String?

    @Flag(help: "Do not read the parking queues (no broker needed).")
    package var noParked = false

    private var environment: [String: String] { ProcessInfo.processInfo.environment }

    package var resolvedDatabaseURL: String {
        databaseURL ?? environment["SAGA_INSPECT_DATABASE_URL"].nonEmpty ?? environment["DATABASE_URL"].nonEmpty ?? Self.defaultDatabaseURL
    }

    package var resolvedAMQPURL: String {
        amqpURL ?? environment["SAGA_INSPECT_AMQP_URL"].nonEmpty ?? environment["AMQP_URL"].nonEmpty ?? Self.defaultAMQPURL
    }

    package var resolvedQueuePrefix: String { queuePrefix ?? environment["QUEUE_PREFIX"] ?? "" }

    /// Opens the read connection, or exits 3 (64 for a malformed URL) with a message that never
    /// shows the password.
    package func connect() async throws -> PostgresConnection {
        let url = resolvedDatabaseURL
        do {
            return try await PostgresConnection.connect(url: url, applicationName: "saga-inspect")
        } catch let error as PostgresError where error.code == .invalidURL {
            Console.error("invalid database URL: \(DatabaseURLText.scrub(error.message, url: url))")
            throw SagaInspectExit.usage
        } catch {
            Console.error("cannot connect to the database at \(DatabaseURLText.hostAndPort(url)): \(DatabaseURLText.reason(error, url: url))")
            throw SagaInspectExit.cannotConnect
        }
    }

    /// Every parked message, unless `--no-parked`; an unreachable broker is a warning.
    package func readParked() async -> SagaParkedMessageReader.Reading {
        guard !noParked else { return SagaParkedMessageReader.Reading(messages: [], warnings: []) }
        return await SagaParkedMessageReader(amqpURL: resolvedAMQPURL, queuePrefix: resolvedQueuePrefix).read()
    }

    /// Runs `body`; a database failure (lost connection, permission, SQL) exits 3 with its message.
    package func reportingDatabaseErrors<Value>(_ body: () async throws -> Value) async throws -> Value {
        do {
            return try await body()
        } catch let error as PostgresError {
            let url = resolvedDatabaseURL
            if error.isConnectionError {
                Console.error("cannot connect to the database at \(DatabaseURLText.hostAndPort(url)): \(DatabaseURLText.reason(error, url: url))")
            } else {
                Console.error("cannot read the database at \(DatabaseURLText.hostAndPort(url)): \(DatabaseURLText.scrub(error.description, url: url))")
            }
            throw SagaInspectExit.cannotConnect
        } catch let error as SagaInspectError {
            Console.error(error.description)
            throw SagaInspectExit.cannotConnect
        }
    }
}

/// Standard output and error.
package enum Console {
    /// Writes text as is (renderers end their output with a newline).
    package static func print(_ text: String) {
        FileHandle.standardOutput.write(Data((text.hasSuffix("\n") ? text : text + "\n").utf8))
    }

    /// Writes `saga-inspect: <message>` to standard error.
    package static func error(_ message: String) {
        FileHandle.standardError.write(Data("saga-inspect: \(message)\n".utf8))
    }
}

/// Database URLs in messages: host and port only, never the password.
package enum DatabaseURLText {
    /// `host:port` of a `postgresql://` URL.
    package static func hostAndPort(_ url: String) -> String {
        guard let components = URLComponents(string: url), let host = components.host, !host.isEmpty else {
            return "(the configured server)"
        }
        return "\(host):\(components.port ?? 5432)"
    }

    /// The first line of an error's message, with the URL's password removed.
    package static func reason(_ error: any Error, url: String) -> String {
        let text = (error as? PostgresError)?.message ?? "\(error)"
        let firstLine = text.split(separator: "\n").first.map(String.init) ?? text
        return scrub(firstLine.trimmingCharacters(in: .whitespaces), url: url)
    }

    /// `text` without the URL's password.
    package static func scrub(_ text: String, url: String) -> String {
        guard let password = URLComponents(string: url)?.password, !password.isEmpty else { return text }
        return text.replacingOccurrences(of: password, with: "***")
    }
}

extension Optional where Wrapped == String {
    /// The string, unless it is nil or empty.
    fileprivate var nonEmpty: String? {
        guard let self, !self.isEmpty else { return nil }
        return self
    }
}
