import Foundation
package import Logging
import OTel
package import ServiceLifecycle
import Tracing

/// Tracing for a daemon: spans exported over OTLP/HTTP by swift-otel, configured by the standard
/// `OTEL_*` environment variables, and off unless configured.
package enum TracingBootstrap {
    /// Whether the environment asks for a trace exporter: `OTEL_TRACES_EXPORTER` set to anything
    /// but `none`, or (with it unset) an `OTEL_EXPORTER_OTLP_ENDPOINT` or
    /// `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`; never with `OTEL_SDK_DISABLED=true`.
    package static func isConfigured(_ environment: [String: String]) -> Bool {
        if environment["OTEL_SDK_DISABLED"]?.lowercased() == "true" { return false }
        if let exporter = environment["OTEL_TRACES_EXPORTER"]?.trimmingCharacters(in: .whitespaces).lowercased(), !exporter.isEmpty {
            return exporter != "none"
        }
        return ["OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"].contains { !(environment[$0] ?? "").isEmpty }
    }

    /// When configured, bootstraps the process's tracer (service name `service` unless
    /// `OTEL_SERVICE_NAME` says otherwise; OTLP over HTTP, protobuf unless
    /// `OTEL_EXPORTER_OTLP_PROTOCOL=http/json`) and returns the exporter's service, to run in the
    /// daemon's service group so that it flushes on shutdown; nil (and a no-op tracer) otherwise.
    package static func bootstrap(service: String, environment: [String: String], logger: Logger) throws -> (any Service)? {
        guard isConfigured(environment) else { return nil }
        var configuration = OTel.Configuration.default
        configuration.serviceName = service
        configuration.logs.enabled = false
        configuration.metrics.enabled = false
        configuration.traces.exporter = .otlp
        configuration.diagnosticLogger = .custom(logger)
        let backend = try OTel.makeTracingBackend(configuration: configuration)
        InstrumentationSystem.bootstrap(backend.factory)
        logger.info("tracing: exporting spans over OTLP/HTTP")
        return backend.service
    }
}
