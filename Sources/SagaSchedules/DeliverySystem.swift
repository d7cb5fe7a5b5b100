import AMQP
import APIAccess
import Foundation
import IntegrationSupport
import PlainHTTPClient
import Postgres
import SagaScenarios

/// The whole system for an end-to-end test or a schedule campaign: the six `fabrikam-service`
/// daemons as separate processes on the real servers, isolated from everything else by their own
/// database, exchange and queue prefix, driven through the public HTTP API. Interposed, the
/// services' queues are bound to an exchange nobody publishes to and everything they publish goes
/// to a tap queue, for an ``Interposer`` to deliver as a schedule says.
public actor DeliverySystem {
    public static let services = ["ingestion", "account", "package", "drone", "delivery", "history"]

    public nonisolated let suffix: String
    public nonisolated let databaseName: String
    public nonisolated let adminURL: String
    public nonisolated let amqpURL: String
    public nonisolated let exchange: String
    public nonisolated let queuePrefix: String
    public nonisolated let ports: [String: Int]
    public nonisolated let logDirectory: URL
    public nonisolated let extraEnvironment: [String: String]
    /// The interposer's tap queue, bound to every event on `exchange` (nil unless interposed).
    public nonisolated let tapQueue: String?
    /// An operator's API key, issued in the system's database before the services start (``api`` uses it).
    public nonisolated let operatorKey: String
    private var processes: [String: Process] = [:]

    /// Creates the database (roles and schemas come from the services at start-up) and starts every service.
    public init(environment extra: [String: String] = [:], interposed: Bool = false) async throws {
        suffix = UUID().uuidString.prefix(8).lowercased()
        databaseName = "e2e_\(suffix)"
        let serverURL = try TestServers.databaseURL()
        amqpURL = try TestServers.amqpURL()
        adminURL = Self.replacingDatabase(in: serverURL, with: databaseName)
        exchange = "e2e.\(suffix).events"
        queuePrefix = "e2e-\(suffix)-"
        ports = Dictionary(uniqueKeysWithValues: Self.services.map { ($0, freePort()) })
        logDirectory = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("fabrikam-e2e-\(suffix)")
        extraEnvironment = extra
        tapQueue = interposed ? "\(queuePrefix)tap" : nil
        try FileManager.default.createDirectory(at: logDirectory, withIntermediateDirectories: true)
        let server = try await PostgresConnection.connect(url: serverURL)
        _ = try await server.simpleQuery("CREATE DATABASE \(databaseName)")
        await server.close()
        operatorKey = try await APIKeyStore.issueKey(.operator, label: "e2e operator", url: adminURL).key
        if let tapQueue {
            let connection = try await AMQPConnection.connect(url: amqpURL)
            try await connection.declareExchange(exchange, type: .topic)
            try await connection.declareQueue(tapQueue, options: AMQPQueueOptions(durable: true))
            try await connection.bindQueue(tapQueue, exchange: exchange, routingKey: "#")
            await connection.close()
        }
        for service in Self.services { try start(service) }
        try await waitUntilReady()
    }

    /// The read-only role's URL (what saga-inspect uses), for this system's database.
    public nonisolated var inspectorURL: String {
        Self.replacingDatabase(in: "postgresql://saga_inspect:saga_inspect@\(Self.hostAndPort(of: adminURL))/x", with: databaseName)
    }

    /// The public API as the operator sees it.
    public nonisolated var api: DeliveryAPIClient { api(key: operatorKey) }

    /// The public API, authenticated with `key`.
    public nonisolated func api(key: String) -> DeliveryAPIClient {
        DeliveryAPIClient(apiKey: key, ingestionPort: ports["ingestion"]!, historyPort: ports["history"]!)
    }

    /// Issues an API key for `role` in the system's database (e.g. a customer's, to test what it may see).
    public nonisolated func issueKey(_ role: APIPrincipal.Role, label: String = "e2e") async throws -> String {
        try await APIKeyStore.issueKey(role, label: label, url: adminURL).key
    }

    /// The environment of one service's process.
    public func environment(for service: String) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["AMQP_URL"] = amqpURL
        environment["DATABASE_ADMIN_URL"] = adminURL
        environment["DATABASE_URL"] = Self.replacingDatabase(
            in: "postgresql://\(service):\(service)@\(Self.hostAndPort(of: adminURL))/x", with: databaseName)
        environment["EVENT_EXCHANGE"] = exchange
        if tapQueue != nil { environment["EVENT_BINDING_EXCHANGE"] = "\(exchange).interposed" }
        environment["QUEUE_PREFIX"] = queuePrefix
        environment["HTTP_PORT"] = "\(ports[service]!)"
        environment["WORKERS"] = "4"
        environment["RETRY_MAX_ATTEMPTS"] = "4"
        environment["RETRY_INITIAL_DELAY_MS"] = "100"
        environment["RETRY_MULTIPLIER"] = "2"
        environment["OUTBOX_RELAY_INTERVAL_MS"] = "200"
        environment["OUTBOX_RELAY_GRACE_MS"] = "1000"
        environment["DEADLINE_POLL_INTERVAL_MS"] = "50"
        environment["DRONE_TIME_SCALE"] = "0"
        environment["DELIVERY_JOIN_TIMEOUT_S"] = "15"
        environment["LOG_LEVEL"] = "info"
        environment.merge(extraEnvironment) { _, new in new }
        return environment
    }

    /// Starts one service's process (its log goes to `<logDirectory>/<service>.log`).
    public func start(_ service: String) throws {
        let products = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let binary = products.appendingPathComponent("fabrikam-service")
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            throw HarnessError("fabrikam-service not built at \(binary.path); build with `swift build --build-tests`")
        }
        let log = logDirectory.appendingPathComponent("\(service).log")
        if !FileManager.default.fileExists(atPath: log.path) { _ = FileManager.default.createFile(atPath: log.path, contents: nil) }
        let handle = try FileHandle(forWritingTo: log)
        handle.seekToEndOfFile()
        let process = Process()
        process.executableURL = binary
        process.arguments = [service]
        process.environment = environment(for: service)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        processes[service] = process
    }

    /// Sends SIGTERM to one service and waits for it to exit.
    public func stop(_ service: String) async throws {
        guard let process = processes[service], process.isRunning else { return }
        process.terminate()
        try await waitUntil("\(service) to exit", timeout: .seconds(30)) { !process.isRunning }
    }

    /// Kills one service with SIGKILL and starts it again; returns once it is ready.
    public func restart(_ service: String) async throws {
        try await kill(service)
        try start(service)
        try await waitUntilReady()
    }

    /// Kills one service with SIGKILL (no graceful shutdown).
    public func kill(_ service: String) async throws {
        guard let process = processes[service], process.isRunning else { return }
        Foundation.kill(process.processIdentifier, SIGKILL)
        try await waitUntil("\(service) to die", timeout: .seconds(30)) { !process.isRunning }
    }

    /// Waits until every running service answers ready.
    public func waitUntilReady(timeout: Duration = .seconds(90)) async throws {
        for service in Self.services where processes[service]?.isRunning == true {
            let client = PlainHTTPClient(port: ports[service]!, timeout: .seconds(2))
            try await waitUntil("\(service) to be ready (log: \(logDirectory.path)/\(service).log)", timeout: timeout) {
                guard processes[service]?.isRunning == true else {
                    throw HarnessError("\(service) exited; see \(logDirectory.path)/\(service).log")
                }
                return (try? await client.get("/health/ready"))?.status == 200
            }
        }
    }

    /// Submits a path's request; returns the delivery id.
    public func submit(_ path: SagaPath) async throws -> UUID {
        try await api.submit(path.requestBody(tag: "e2e"))
    }

    /// Waits until each delivery's history stage is terminal; returns the stages.
    public func waitForEnd(_ ids: [UUID], timeout: Duration = .seconds(90)) async throws -> [UUID: String] {
        var stages: [UUID: String] = [:]
        try await waitUntil("\(ids.count) sagas to end", timeout: timeout) {
            for id in ids where stages[id] == nil {
                if let status = try await api.status(id), status.isTerminal { stages[id] = status.stage }
            }
            return stages.count == ids.count
        }
        return stages
    }

    /// Runs SQL against the system's database as the administrator.
    public func query(_ sql: String, _ parameters: [PostgresValue] = []) async throws -> PostgresRows {
        let connection = try await PostgresConnection.connect(url: adminURL)
        let rows = try await connection.query(sql, parameters)
        await connection.close()
        return rows
    }

    public func count(_ sql: String, _ parameters: [PostgresValue] = []) async throws -> Int {
        try await query(sql, parameters)[0].decode(Int.self, at: 0)
    }

    /// Messages waiting in each service's parking (dead-letter) queue.
    public func parkedMessages() async throws -> [String: Int] {
        let connection = try await AMQPConnection.connect(url: amqpURL)
        var parked: [String: Int] = [:]
        for service in Self.services where service != "ingestion" {
            parked[service] = Int(try await connection.inspectQueue("\(queuePrefix)\(service).parked").messageCount)
        }
        await connection.close()
        return parked
    }

    /// Stops every process and removes the database and the broker objects.
    public func shutDown() async {
        for service in Self.services { try? await stop(service) }
        for process in processes.values where process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
        if let connection = try? await AMQPConnection.connect(url: amqpURL) {
            for service in Self.services {
                for queue in ["events", "parked"] + (1...3).map({ "retry.\(100 << ($0 - 1))ms" }) {
                    _ = try? await connection.deleteQueue("\(queuePrefix)\(service).\(queue)")
                }
            }
            if let tapQueue { _ = try? await connection.deleteQueue(tapQueue) }
            try? await connection.deleteExchange(exchange)
            try? await connection.deleteExchange("\(exchange).interposed")
            await connection.close()
        }
        if let server = try? await PostgresConnection.connect(url: try TestServers.databaseURL()) {
            _ = try? await server.simpleQuery("DROP DATABASE IF EXISTS \(databaseName) WITH (FORCE)")
            await server.close()
        }
    }

    deinit {
        for process in processes.values where process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
    }

    // MARK: URLs and ports

    public static func replacingDatabase(in url: String, with database: String) -> String {
        guard var components = URLComponents(string: url) else { return url }
        components.path = "/\(database)"
        return components.string ?? url
    }

    public static func hostAndPort(of url: String) -> String {
        let components = URLComponents(string: url)
        return "\(components?.host ?? "127.0.0.1"):\(components?.port ?? 5432)"
    }
}
