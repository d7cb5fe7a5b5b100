import Choreography
import DedicatedThread
import EchoService
import Foundation
import Logging
import ServiceHTTP

// `choreography-echo`: the echo service as a daemon (used by the runtime's crash tests and as
// the smallest example of a service executable). Configuration: see ChoreographyConfiguration;
// ECHO_NAME and ECHO_SCHEMA choose the queue prefix and schema (default `echo`).
let plain = ServiceSettings()
let name = plain.string("ECHO_NAME", default: "echo")
let schema = plain.string("ECHO_SCHEMA", default: "echo")
let settings = ServiceSettings(service: name)
let (logger, registry) = DaemonBootstrap.bootstrap(service: name, settings: settings)
do {
    let configuration = try ChoreographyConfiguration(reading: settings, schema: schema)
    var runtime = ChoreographyRuntime(
        definition: try EchoService.definition(name: name, schema: schema), configuration: configuration,
        logger: logger, registry: registry)
    runtime.tracingService = try TracingBootstrap.bootstrap(service: name, environment: ProcessInfo.processInfo.environment, logger: logger)
    try await runtime.run()
} catch {
    logger.critical("stopped with an error", metadata: ["error.message": "\(error)"])
    await DedicatedThreadExecutor.exitProcess(1)
}
await DedicatedThreadExecutor.exitProcess(0)
