import ArgumentParser
import CommandExit
import Hummingbird
import Logging
import Postgres
import SagaExplorer
import SagaInspect
import SagaInspectCommandLine

/// `saga-explorer`: the saga explorer in the browser — saga-inspect's analysis as server-rendered pages.
@main
struct SagaExplorerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "saga-explorer",
        abstract: "Serve the saga explorer: the saga list, one saga's diagram and verdict (live), stats and parked messages.",
        discussion: """
            Server-rendered HTML on http://HOST:PORT/ (default http://127.0.0.1:8090/). Reads the database with the \
            given role (a read-only one is enough) and the parking queues on the broker; replaying a parked \
            message (after a confirmation) is its only write. Stops on Ctrl-C or SIGTERM. See docs/saga-inspect.md.

            Exit codes: 0 stopped, 3 cannot connect to the database at start, 64 usage.
            """)

    static func main() async { await mainEndingThreadsFirst() }

    /// The port the explorer listens on unless told otherwise.
    static let defaultPort = 8090

    @Option(help: "Port to listen on.")
    var port = SagaExplorerCommand.defaultPort

    @Option(help: "Address to listen on (127.0.0.1: this machine only).")
    var host = "127.0.0.1"

    @Option(help: "Database connections at most.")
    var connections = 4

    @Option(help: "Seconds without progress after which an in-flight saga is stuck.")
    var stuckAfter: Double = SagaAnalysis.defaultStuckAfter

    @OptionGroup var connection: ConnectionOptions

    func validate() throws {
        guard (1...65_535).contains(port) else { throw ValidationError("--port must be 1 to 65535") }
        guard connections > 0 else { throw ValidationError("--connections must be positive") }
        guard stuckAfter > 0, stuckAfter.isFinite else { throw ValidationError("--stuck-after must be a positive number of seconds") }
    }

    func run() async throws {
        await (try await connection.connect()).close()
        let pool = PostgresConnectionPool(url: connection.resolvedDatabaseURL, maximumConnections: connections, applicationName: "saga-explorer")
        let explorer = SagaExplorer(
            database: pool, amqpURL: connection.noParked ? nil : connection.resolvedAMQPURL, queuePrefix: connection.resolvedQueuePrefix,
            stuckAfter: stuckAfter)
        let (host, port) = (host, port)
        let app = Application(
            router: ExplorerRoutes.router(explorer), configuration: .init(address: .hostname(host, port: port), serverName: "saga-explorer"),
            onServerRunning: { channel in
                Console.print("saga explorer listening on http://\(host):\(channel.localAddress?.port ?? port)/")
            },
            logger: Logger(label: "saga-explorer"))
        try await app.runService()
        await pool.close()
    }
}
