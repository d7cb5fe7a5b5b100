import Foundation

/// Where the integration tests find the real RabbitMQ and PostgreSQL that `scripts/test.sh` starts.
///
/// A missing URL is an error, never a skip: the suite fails with a message that says how to start
/// the servers.
public enum TestServers {
    /// The broker URL from `AMQP_URL`.
    public static func amqpURL() throws -> String { try require("AMQP_URL") }

    /// The database URL from `DATABASE_URL`.
    public static func databaseURL() throws -> String { try require("DATABASE_URL") }

    /// Runs `scripts/servers.sh <command>` (e.g. `restart-rabbitmq`) for the chaos tests; throws
    /// if it fails.
    public static func run(_ command: String) throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [root.appendingPathComponent("scripts/servers.sh").path, command]
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw HarnessError("scripts/servers.sh \(command) exited \(process.terminationStatus)")
        }
    }

    private static func require(_ name: String) throws -> String {
        guard let value = ProcessInfo.processInfo.environment[name], !value.isEmpty else {
            throw MissingServerError(variable: name)
        }
        return value
    }
}

/// Thrown when a test needs a server whose URL the environment does not give.
public struct MissingServerError: Error, CustomStringConvertible {
    /// The environment variable that was missing.
    public let variable: String

    public var description: String {
        "\(variable) is not set: integration tests need the private servers. "
            + "Run the tests with scripts/test.sh, which starts RabbitMQ and PostgreSQL and sets it."
    }
}
