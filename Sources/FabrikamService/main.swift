import AccountService
import Choreography
import DeliveryService
import DroneService
import Foundation
import HistoryService
import IngestionService
import Logging
import PackageService

// `fabrikam-service <name>`: runs one service of the delivery saga as a daemon (one process per
// instance). Configuration comes from the environment: the runtime's keys (see
// ChoreographyConfiguration; `<NAME>_<KEY>` wins over `<KEY>`) and the service's own settings.
// Without HTTP_PORT a service listens on its default port: ingestion 8080, account 8081,
// package 8082, drone 8083, delivery 8084, history 8086. QUEUE_PREFIX (default empty) is put
// before the queue names, so that separate systems can share one broker (the end-to-end tests).

/// The six services and their default HTTP ports.
enum ServiceName: String, CaseIterable {
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

let environment = ProcessInfo.processInfo.environment
let arguments = CommandLine.arguments.dropFirst()
guard arguments.count == 1, let service = arguments.first.flatMap(ServiceName.init(rawValue:)) else {
    let names = ServiceName.allCases.map(\.rawValue).joined(separator: "|")
    FileHandle.standardError.write(Data("usage: fabrikam-service <\(names)>\n".utf8))
    exit(64)
}
let name = service.rawValue
let queuePrefix = environment["QUEUE_PREFIX"] ?? ""
let queueName = queuePrefix + name

let (logger, registry) = DaemonBootstrap.bootstrap(service: name, environment: environment)

do {
    var configuration = try ChoreographyConfiguration.fromEnvironment(service: name, schema: name)
    let prefix = name.uppercased()
    if environment["\(prefix)_HTTP_PORT"] == nil, environment["HTTP_PORT"] == nil {
        configuration.httpPort = service.defaultPort
    }
    var definition: ServiceDefinition
    var routes: ChoreographyRuntime.ServiceRoutes?
    switch service {
    case .ingestion:
        definition = try IngestionService.definition(name: queueName)
        let horizonDays = environment["INGESTION_BOOKING_HORIZON_DAYS"] ?? "30"
        guard let days = Double(horizonDays), days > 0 else {
            throw SettingError(key: "INGESTION_BOOKING_HORIZON_DAYS", "must be a number of days > 0, got '\(horizonDays)'")
        }
        routes = { router, database in try IngestionRoutes.register(on: router, database: database, bookingHorizon: days * 86_400) }
    case .account:
        definition = try AccountService.definition(name: queueName, settings: try AccountSettings.fromEnvironment())
    case .package:
        definition = try PackageService.definition(name: queueName, settings: try PackageSettings.fromEnvironment())
    case .drone:
        definition = try DroneService.definition(name: queueName, settings: try DroneSettings.fromEnvironment())
    case .delivery:
        definition = try DeliveryService.definition(name: queueName, settings: try DeliverySettings.fromEnvironment())
    case .history:
        definition = try HistoryService.definition(name: queueName, settings: try HistorySettings.fromEnvironment())
        routes = { router, database in HistoryRoutes.register(on: router, database: database) }
    }
    definition.sagaQueuePrefix = queuePrefix
    let runtime = ChoreographyRuntime(
        definition: definition, configuration: configuration, logger: logger, registry: registry, routes: routes)
    try await runtime.run()
} catch {
    logger.critical("stopped with an error", metadata: ["error.message": "\(error)"])
    exit(1)
}
