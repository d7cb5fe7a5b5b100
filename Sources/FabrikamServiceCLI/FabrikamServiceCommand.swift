import AccountService
import ArgumentParser
import Choreography
import CommandExit
import DeliveryService
import DroneService
import Foundation
import HistoryService
import IngestionService
import Logging
import PackageService
import Prometheus
import ServiceHTTP

/// The six services and their default HTTP ports.
enum ServiceName: String, CaseIterable, ExpressibleByArgument {
    case ingestion, account, package, drone, delivery, history

    var defaultPort: Int {
        switch self {
        case .ingestion: 8080
        case .account: 8081
        case .package: 8082
        case .drone: 8083
        case .delivery: 8084
        case .history: 8086
        }
    }
}

/// `fabrikam-service <name>`: one service of the delivery saga as a daemon.
@main
struct FabrikamServiceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fabrikam-service",
        abstract: "Run one service of the delivery saga as a daemon (one process per instance).",
        discussion: """
            Configuration comes from the environment: the runtime's keys (`<NAME>_<KEY>` wins over \
            `<KEY>`: DATABASE_URL, AMQP_URL, HTTP_PORT, PREFETCH, WORKERS, RETRY_*, …), the \
            service's own settings (DRONE_*, DELIVERY_*, INGESTION_*, …), LOG_LEVEL and \
            LOG_FORMAT. Without HTTP_PORT a service listens on its default port: ingestion 8080, \
            account 8081, package 8082, drone 8083, delivery 8084, history 8086. QUEUE_PREFIX \
            (default empty) is put before the queue names, so that separate systems can share one \
            broker.
            """)

    @Argument(help: "The service: \(ServiceName.allCases.map(\.rawValue).joined(separator: ", ")).")
    var service: ServiceName

    @Flag(help: """
        Set up and exit: create the service's database role and schema (DATABASE_ADMIN_URL), apply \
        its migrations, declare the saga's queues (AMQP_ADMIN_URL). Run it before the daemon, so that \
        the daemon never holds an administrator's URL.
        """)
    var setup = false

    static func main() async { await mainEndingThreadsFirst() }

    func run() async throws {
        let name = service.rawValue
        let settings = ServiceSettings(service: name)
        let queuePrefix = settings.string("QUEUE_PREFIX", default: "")
        let (logger, registry) = DaemonBootstrap.bootstrap(service: name, settings: settings)
        do {
            try await Self.run(
                service, queueName: queuePrefix + name, queuePrefix: queuePrefix, settings: settings, logger: logger,
                registry: registry, setupOnly: setup)
        } catch {
            logger.critical("stopped with an error", metadata: ["error.message": "\(error)"])
            throw ExitCode.failure
        }
    }

    /// Builds the service's definition and routes from `settings` and runs it until stopped.
    private static func run(
        _ service: ServiceName, queueName: String, queuePrefix: String, settings: ServiceSettings, logger: Logger,
        registry: PrometheusCollectorRegistry, setupOnly: Bool
    ) async throws {
        let name = service.rawValue
        var configuration = try ChoreographyConfiguration(reading: settings, schema: name)
        if settings.string("HTTP_PORT") == nil {
            configuration.httpPort = service.defaultPort
        }
        var definition: ServiceDefinition
        var routes: ChoreographyRuntime.ServiceRoutes?
        switch service {
        case .ingestion:
            definition = try IngestionService.definition(name: queueName)
            let days = try settings.parsed("INGESTION_BOOKING_HORIZON_DAYS", "must be a number of days > 0") { text in
                Double(text).flatMap { $0 > 0 ? $0 : nil }
            } ?? 30
            routes = { router, database in try IngestionRoutes.register(on: router, database: database, bookingHorizon: days * 86_400) }
        case .account:
            definition = try AccountService.definition(name: queueName, settings: try AccountSettings(reading: settings))
        case .package:
            definition = try PackageService.definition(name: queueName, settings: try PackageSettings(reading: settings))
        case .drone:
            definition = try DroneService.definition(name: queueName, settings: try DroneSettings(reading: settings))
        case .delivery:
            definition = try DeliveryService.definition(name: queueName, settings: try DeliverySettings(reading: settings))
        case .history:
            definition = try HistoryService.definition(name: queueName, settings: try HistorySettings(reading: settings))
            routes = { router, database in HistoryRoutes.register(on: router, database: database) }
        }
        definition.sagaQueuePrefix = queuePrefix
        var runtime = ChoreographyRuntime(
            definition: definition, configuration: configuration, logger: logger, registry: registry, routes: routes)
        if setupOnly {
            try await runtime.setUp()
            logger.info("set up", metadata: ["service.name": "\(name)"])
            return
        }
        runtime.tracingService = try TracingBootstrap.bootstrap(service: name, environment: ProcessInfo.processInfo.environment, logger: logger)
        try await runtime.run()
    }
}
