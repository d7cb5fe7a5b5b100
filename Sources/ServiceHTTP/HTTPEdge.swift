package import Choreography
package import Hummingbird
package import Logging
import Postgres
package import Prometheus
import ServiceLifecycle

/// The runtime's HTTP edge: on `HTTP_PORT`, the operations endpoints (health, metrics) and the
/// service's own routes, which get a ``ServiceDatabase`` whose committed events the
/// ``OutboxDispatcher`` publishes in the background.
struct HTTPEdge: RuntimeEdge {
    /// The registry served on `/metrics`.
    let registry: PrometheusCollectorRegistry?
    /// The service's own routes, if any.
    let routes: ChoreographyRuntime.ServiceRoutes?

    /// Builds the router, the routes' connection pool and dispatcher, and the HTTP server; none
    /// without an HTTP port.
    func start(_ runtime: RuntimeEdgeContext) throws -> RuntimeEdgeParts {
        guard let port = runtime.configuration.httpPort else { return RuntimeEdgeParts(services: []) }
        let router = Router()
        OperationsEndpoints.register(on: router, health: runtime.health, registry: registry)
        var services: [any Service] = []
        var routePool: PostgresConnectionPool?
        if let routes {
            let pool = PostgresConnectionPool(
                url: runtime.databaseURL, maximumConnections: runtime.configuration.httpDatabaseConnections,
                applicationName: "\(runtime.definition.name) http", logger: runtime.logger)
            routePool = pool
            let dispatcher = OutboxDispatcher(outbox: runtime.outbox, pool: pool, logger: runtime.logger)
            try routes(router, ServiceDatabase(pool: pool, dispatcher: dispatcher, logger: runtime.logger))
            // Listed first, so it stops after the HTTP server and publishes what that committed.
            services.append(dispatcher)
        }
        services.append(Application(
            router: router, configuration: .init(address: .hostname(runtime.configuration.httpHost, port: port)), logger: runtime.logger))
        return RuntimeEdgeParts(services: services) { [routePool] in await routePool?.close() }
    }
}

extension ChoreographyRuntime {
    /// Service-specific HTTP routes, given the service's database for reads and command transactions.
    package typealias ServiceRoutes = @Sendable (Router<BasicRequestContext>, ServiceDatabase) throws -> Void

    /// Prepares a runtime that also serves HTTP on `HTTP_PORT`: `registry` is the Prometheus
    /// registry the executable bootstrapped swift-metrics with (served on `/metrics`), `routes`
    /// adds service-specific HTTP routes.
    package init(
        definition: ServiceDefinition, configuration: ChoreographyConfiguration, logger: Logger,
        registry: PrometheusCollectorRegistry?, routes: ServiceRoutes? = nil
    ) {
        self.init(definition: definition, configuration: configuration, logger: logger, edge: HTTPEdge(registry: registry, routes: routes))
    }
}
