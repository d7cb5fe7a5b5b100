import Choreography
import Foundation
package import Logging
import Metrics
package import Prometheus

/// What a daemon executable sets up once, in `main`, before it runs a `ChoreographyRuntime`:
/// swift-log to standard error at `LOG_LEVEL` (default `info`), as text or, with
/// `LOG_FORMAT=json`, one JSON object per line (``JSONLogHandler``), and swift-metrics into a
/// Prometheus registry (served on `/metrics`). Libraries never call it.
package enum DaemonBootstrap {
    /// Bootstraps logging and metrics; returns the service's logger (with `service` metadata) and the registry.
    package static func bootstrap(service: String, environment: [String: String] = ProcessInfo.processInfo.environment)
        -> (logger: Logger, registry: PrometheusCollectorRegistry)
    {
        let level = environment["LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info
        let json = environment["LOG_FORMAT"]?.lowercased() == "json"
        LoggingSystem.bootstrap { label in
            var handler: any LogHandler = json ? JSONLogHandler(label: label) : StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        var logger = Logger(label: service)
        logger[metadataKey: "service.name"] = "\(service)"
        return (logger, registry)
    }
}
