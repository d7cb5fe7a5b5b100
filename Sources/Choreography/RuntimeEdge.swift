package import Logging
package import ServiceLifecycle

/// A part of a daemon beside its event processing — the HTTP edge in `ServiceHTTP` — built by
/// ``ChoreographyRuntime/run(handleSignals:)`` once the runtime's publisher connection is open.
package protocol RuntimeEdge: Sendable {
    /// The services to run in the daemon's group (listed first, so they stop last), and how to
    /// release what they opened once the group has stopped.
    func start(_ runtime: RuntimeEdgeContext) throws -> RuntimeEdgeParts
}

/// What the runtime hands its edge: the service, its settings, its readiness and its outbox.
package struct RuntimeEdgeContext: Sendable {
    /// The service being run.
    package let definition: ServiceDefinition
    /// How it is run (the HTTP host and port, the HTTP database connections).
    package let configuration: ChoreographyConfiguration
    /// Readiness, as `/health/ready` reports it.
    package let health: HealthState
    /// The publisher of committed outbox rows, for the edge's command transactions.
    package let outbox: OutboxPublisher
    /// The service's database URL, with its schema as search_path.
    package let databaseURL: String
    /// The service's logger.
    package let logger: Logger
}

/// The services an edge runs and how to release what it opened.
package struct RuntimeEdgeParts: Sendable {
    /// Lifecycle services to run with the daemon.
    package var services: [any Service]
    /// Called after the daemon's group has stopped.
    package var close: @Sendable () async -> Void

    /// Services and their clean-up.
    package init(services: [any Service], close: @escaping @Sendable () async -> Void = {}) {
        self.services = services
        self.close = close
    }
}
