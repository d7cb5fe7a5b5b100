package import Choreography
import Foundation
package import Logging
import Metrics
package import Prometheus

/// What a daemon executable sets up once, in `main`, before it runs a `ChoreographyRuntime`:
/// swift-log to standard error at `LOG_LEVEL` (default `info`), as text or, with
/// `LOG_FORMAT=json`, one JSON object per line (``JSONLogHandler``), and swift-metrics into a
/// Prometheus registry (served on `/metrics`). Every line carries `service.name`, and
/// `service.instance.id` when `SERVICE_INSTANCE_ID` is set. Libraries never call it.
package enum DaemonBootstrap {
    /// Bootstraps logging and metrics; returns the service's logger (with `service` metadata) and the registry.
    package static func bootstrap(service: String, settings: ServiceSettings)
        -> (logger: Logger, registry: PrometheusCollectorRegistry)
    {
        let level = settings.string("LOG_LEVEL").flatMap(Logger.Level.init(rawValue:)) ?? .info
        let json = settings.string("LOG_FORMAT")?.lowercased() == "json"
        LoggingSystem.bootstrap { label in
            var handler: any LogHandler = json ? JSONLogHandler(label: label) : StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        var logger = Logger(label: service)
        logger[metadataKey: "service.name"] = "\(service)"
        // Tells apart several instances of one service whose logs are read together.
        if let instance = settings.string("SERVICE_INSTANCE_ID") { logger[metadataKey: "service.instance.id"] = "\(instance)" }
        return (logger, registry)
    }
}
