import Choreography
import EchoService
import Foundation
import Logging
import Metrics
import Prometheus

// `choreography-echo`: the echo service as a daemon (used by the runtime's crash tests and as
// the smallest example of a service executable). Configuration: see ChoreographyConfiguration;
// ECHO_NAME and ECHO_SCHEMA choose the queue prefix and schema (default `echo`).
let environment = ProcessInfo.processInfo.environment
let name = environment["ECHO_NAME"] ?? "echo"
let schema = environment["ECHO_SCHEMA"] ?? "echo"
LoggingSystem.bootstrap { label in
    var handler = StreamLogHandler.standardError(label: label)
    handler.logLevel = environment["LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info
    return handler
}
let registry = PrometheusCollectorRegistry()
MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
var logger = Logger(label: name)
logger[metadataKey: "service"] = "\(name)"
do {
    let configuration = try ChoreographyConfiguration.fromEnvironment(service: name, schema: schema)
    let runtime = ChoreographyRuntime(
        definition: try EchoService.definition(name: name, schema: schema), configuration: configuration,
        logger: logger, registry: registry)
    try await runtime.run()
} catch {
    logger.critical("stopped with an error", metadata: ["error": "\(error)"])
    exit(1)
}
