import Choreography
import EchoService
import Foundation
import Logging
import ServiceHTTP

// `choreography-echo`: the echo service as a daemon (used by the runtime's crash tests and as
// the smallest example of a service executable). Configuration: see ChoreographyConfiguration;
// ECHO_NAME and ECHO_SCHEMA choose the queue prefix and schema (default `echo`).
let environment = ProcessInfo.processInfo.environment
let name = environment["ECHO_NAME"] ?? "echo"
let schema = environment["ECHO_SCHEMA"] ?? "echo"
let (logger, registry) = DaemonBootstrap.bootstrap(service: name, environment: environment)
do {
    let configuration = try ChoreographyConfiguration.fromEnvironment(service: name, schema: schema)
    let runtime = ChoreographyRuntime(
        definition: try EchoService.definition(name: name, schema: schema), configuration: configuration,
        logger: logger, registry: registry)
    try await runtime.run()
} catch {
    logger.critical("stopped with an error", metadata: ["error.message": "\(error)"])
    exit(1)
}
