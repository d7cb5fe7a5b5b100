import Choreography
import Foundation
import Logging

/// A service under the runtime for one benchmark run: a fresh schema and exchange named from a
/// random suffix, the run's workers and prefetch, and no logging.
struct BenchmarkRuntime {
    /// The queue prefix and schema (`<prefix>_<suffix>`).
    let name: String
    /// The runtime's configuration (its exchange is `bench.<suffix>.events`).
    let configuration: ChoreographyConfiguration
    /// The runtime, not started.
    let runtime: ChoreographyRuntime

    /// A runtime for the service `definition` makes from the run's name.
    init(
        prefix: String, amqpURL: String, databaseURL: String, workers: Int, prefetch: Int, eventsPerTransaction: Int? = nil,
        definition: (_ name: String) throws -> ServiceDefinition
    ) throws {
        let suffix = UUID().uuidString.prefix(8).lowercased()
        name = "\(prefix)_\(suffix)"
        var configuration = ChoreographyConfiguration(schema: name)
        configuration.amqpURL = amqpURL
        configuration.databaseURL = databaseURL
        configuration.exchange = "bench.\(suffix).events"
        configuration.workers = workers
        configuration.prefetch = prefetch
        if let eventsPerTransaction { configuration.eventsPerTransaction = eventsPerTransaction }
        self.configuration = configuration
        runtime = ChoreographyRuntime(
            definition: try definition(name), configuration: configuration, logger: Logger(label: name) { _ in SwiftLogNoOpLogHandler() })
    }
}
