import AMQP
import Contracts
import Foundation
public import Logging
import Postgres
public import ServiceLifecycle
public import Tracing
import UnixSignals

/// Runs one service instance: creates its role and schema (when an admin URL is given),
/// migrates, opens its connections and runs the event processor, the outbox relay, the deadline
/// scheduler and, with `ServiceHTTP`'s initializer, the health/metrics HTTP server as one swift-service-lifecycle `ServiceGroup`
/// that shuts down gracefully on SIGTERM/SIGINT: stop consuming and finish the batch in hand,
/// stop firing deadlines, flush the outbox, then close every connection.
public struct ChoreographyRuntime: Sendable {
    /// The service to run.
    public let definition: ServiceDefinition
    /// How to run it.
    public let configuration: ChoreographyConfiguration
    /// Readiness, as reported on `/health/ready`.
    public let health = HealthState()
    private let logger: Logger
    private let edge: (any RuntimeEdge)?
    /// The tracer for the runtime's spans (tests set an in-memory one); when nil, the process's
    /// (``TracingBootstrap``) if one was bootstrapped, otherwise none.
    public var tracer: (any Tracer)?
    /// The span exporter's service (``TracingBootstrap/bootstrap(service:environment:logger:)``), run
    /// in the service group and stopped last, so that it flushes the spans of the shutdown.
    public var tracingService: (any Service)?

    /// Prepares a runtime that serves no HTTP (`ServiceHTTP` adds one that serves health, metrics
    /// and the service's routes).
    public init(definition: ServiceDefinition, configuration: ChoreographyConfiguration, logger: Logger) {
        self.init(definition: definition, configuration: configuration, logger: logger, edge: nil)
    }

    /// Prepares a runtime whose `edge` runs beside the event processing.
    package init(definition: ServiceDefinition, configuration: ChoreographyConfiguration, logger: Logger, edge: (any RuntimeEdge)?) {
        self.definition = definition
        self.configuration = configuration
        self.logger = logger
        self.edge = edge
    }

    /// The topology this service uses on the broker.
    public var topology: ServiceTopology {
        ServiceTopology(
            exchange: configuration.exchange, service: definition.name, bindings: definition.bindings,
            retryPolicy: configuration.retryPolicy, queueKind: configuration.queueKind, bindingExchange: configuration.bindingExchange)
    }

    /// The whole saga's topology, for a saga service (see ``ServiceDefinition/sagaQueuePrefix``).
    public var sagaTopology: SagaTopology? {
        definition.sagaQueuePrefix.map {
            SagaTopology(
                exchange: configuration.exchange, queuePrefix: $0, queueKind: configuration.queueKind,
                bindingExchange: configuration.bindingExchange)
        }
    }

    /// The setup step, on its own before the daemons start (so that no daemon holds an admin URL):
    /// with `DATABASE_ADMIN_URL`, creates the service's role (password from `DATABASE_URL`) and
    /// schema; then applies its migrations and start-up tasks as its own role; with
    /// `AMQP_ADMIN_URL`, declares the whole saga's queues.
    public func setUp() async throws {
        try await prepareDatabase()
        if let sagaTopology, configuration.amqpAdminURL != nil {
            try await declareSagaTopology(sagaTopology, publisherConnection: nil)
        }
    }

    /// Creates the role and schema when an admin URL is configured, then migrates as the service's role.
    private func prepareDatabase() async throws {
        try await bootstrapDatabase()
        let migrator = try await connectDatabase(purpose: "migrations")
        try await SchemaMigrator(schema: definition.schema, migrations: definition.migrations).migrate(on: migrator, logger: logger)
        for task in definition.startupTasks {
            let logger = self.logger
            try await migrator.transaction { db in try task(db, logger) }
        }
        await migrator.close()
    }

    /// Runs until SIGTERM/SIGINT (when `handleSignals`) or until the calling task is cancelled.
    public func run(handleSignals: Bool = true) async throws {
        let metrics = RuntimeMetrics(service: definition.name)
        try await prepareDatabase()
        health.setMigrated(true)

        var workers: [PostgresConnection] = []
        for index in 0..<configuration.workers {
            workers.append(try await connectDatabase(purpose: "worker \(index)"))
        }
        let housekeeping = try await connectDatabase(purpose: "outbox")
        let relayConnection = try await connectDatabase(purpose: "relay")
        let deadlineConnection = try await connectDatabase(purpose: "deadlines")
        health.setDatabaseConnected(true)

        var amqp = try AMQPConfiguration(url: configuration.amqpURL)
        amqp.connectionName = "\(definition.name) publisher"
        let publisherConnection = try await connectBroker(amqp)
        if let sagaTopology {
            // Before anything is published: every consumer's queue exists, whichever service starts first.
            try await declareSagaTopology(sagaTopology, publisherConnection: publisherConnection)
        }
        let tracing = RuntimeTracer(tracer: tracer ?? RuntimeTracer.bootstrapped, service: definition.name, schema: "\(definition.schema)")
        let sweeper = OutboxSweeper(connection: housekeeping, interval: configuration.outboxSweepInterval, logger: logger)
        let outbox = OutboxPublisher(
            broker: BrokerPublisher(connection: publisherConnection, reconnectPolicy: AMQPReconnectPolicy()),
            exchange: configuration.exchange, tracer: tracing, sweeper: sweeper)

        let alarm = DeadlineAlarm()
        let processor = EventProcessor(
            definition: definition, configuration: configuration, topology: topology, sagaTopology: sagaTopology, workers: workers,
            outbox: outbox, validator: try ContractValidator(), relayers: try configuration.relayers(queuePrefix: definition.sagaQueuePrefix ?? ""),
            health: health, metrics: metrics,
            alarm: alarm, tracer: tracing, logger: logger)
        let relay = OutboxRelay(
            connection: relayConnection, outbox: outbox, interval: configuration.relayInterval,
            grace: configuration.relayGrace, metrics: metrics, logger: logger)
        let deadlines = DeadlineScheduler(
            definition: definition, connection: deadlineConnection, outbox: outbox,
            interval: configuration.deadlinePollInterval, retryPolicy: configuration.retryPolicy, alarm: alarm, metrics: metrics,
            tracer: tracing, firingsPerTransaction: configuration.deadlinesPerTransaction, logger: logger)

        // Graceful shutdown runs in reverse order: the processor stops first, the edge (HTTP) last.
        // Listed first, so that it stops last and exports the spans of the shutdown.
        var services: [any Service] = tracingService.map { [$0] } ?? []
        // Stops after every fast path (the HTTP dispatcher included) and deletes what they published.
        services.append(sweeper)
        let edgeParts = try edge?.start(RuntimeEdgeContext(
            definition: definition, configuration: configuration, health: health, outbox: outbox,
            databaseURL: Self.url(configuration.databaseURL, searchPath: definition.schema), tracer: tracing, logger: logger))
        services += edgeParts?.services ?? []
        services += [relay, deadlines, processor]
        var group = ServiceGroupConfiguration(
            services: services, gracefulShutdownSignals: handleSignals ? [.sigterm, .sigint] : [], logger: logger)
        group.maximumGracefulShutdownDuration = configuration.shutdownTimeout
        logger.info("service starting", metadata: [
            "service.name": "\(definition.name)", "amqp.queue": "\(topology.workQueue)", "service.workers": "\(configuration.workers)",
        ])
        do {
            try await ServiceGroup(configuration: group).run()
        } catch {
            await edgeParts?.close()
            await closeAll(workers + [housekeeping, relayConnection, deadlineConnection], publisherConnection)
            throw error
        }
        await edgeParts?.close()
        await closeAll(workers + [housekeeping, relayConnection, deadlineConnection], publisherConnection)
        logger.info("service stopped", metadata: ["service.name": "\(definition.name)"])
    }

    private func closeAll(_ databases: [PostgresConnection], _ broker: AMQPConnection) async {
        for connection in databases { await connection.close() }
        await broker.close()
        health.setDatabaseConnected(false)
        health.setBrokerConnected(false)
    }

    /// Creates the service's role and schema when an admin URL is configured.
    private func bootstrapDatabase() async throws {
        guard let adminURL = configuration.databaseAdminURL else { return }
        guard let components = URLComponents(string: configuration.databaseURL), let user = components.user else {
            throw ChoreographyError(.configuration, "DATABASE_URL must name the service's role when DATABASE_ADMIN_URL is set")
        }
        let role = try SQLIdentifier(user)
        let admin = try await retrying("admin database") { try await PostgresConnection.connect(url: adminURL, logger: logger) }
        try await ServiceDatabaseRole.ensure(
            role: role, password: components.password?.removingPercentEncoding ?? "", schema: definition.schema, admin: admin)
        for task in definition.adminSetupTasks { try await admin.transaction { [logger] db in try task(db, role, logger) } }
        await admin.close()
    }

    /// Declares the whole saga's queues and bindings with the admin URL when there is one (a
    /// service's own broker user may configure only its own queues); otherwise declares only
    /// what is missing, with the service's connection.
    private func declareSagaTopology(_ sagaTopology: SagaTopology, publisherConnection: AMQPConnection?) async throws {
        if let adminURL = configuration.amqpAdminURL {
            var amqp = try AMQPConfiguration(url: adminURL)
            amqp.connectionName = "\(definition.name) setup"
            let admin = try await connectBroker(amqp)
            try await retrying("broker (saga topology)") {
                if await !admin.isOpen { try await admin.reconnect(policy: AMQPReconnectPolicy()) }
                try await sagaTopology.declare(on: admin)
            }
            await admin.close()
            return
        }
        guard let publisherConnection else { return }
        try await retrying("broker (saga topology)") {
            if await !publisherConnection.isOpen { try await publisherConnection.reconnect(policy: AMQPReconnectPolicy()) }
            try await sagaTopology.declareMissing(on: publisherConnection)
        }
    }

    /// A connection whose every session (including after `reset()`) uses the service's schema.
    private func connectDatabase(purpose: String) async throws -> PostgresConnection {
        let url = Self.url(configuration.databaseURL, searchPath: definition.schema)
        return try await retrying("database (\(purpose))") {
            try await PostgresConnection.connect(url: url, applicationName: "\(definition.name) \(purpose)", logger: logger)
        }
    }

    private func connectBroker(_ amqp: AMQPConfiguration) async throws -> AMQPConnection {
        try await retrying("broker") { try await AMQPConnection.connect(amqp, logger: logger) }
    }

    /// Retries a connection with backoff until it succeeds or the task is cancelled; configuration
    /// errors (a malformed URL) fail at once.
    private func retrying<T>(_ what: String, _ connect: () async throws -> T) async throws -> T {
        let value = try await Backoff.retry(onFailure: { error in
            logger.info("\(what) not reachable; retrying", metadata: ["error.message": "\(error)"])
        }, connect)
        guard let value else { throw CancellationError() }
        return value
    }

    /// Adds `options=-c search_path=<schema>` to a libpq URL.
    static func url(_ url: String, searchPath schema: SQLIdentifier) -> String {
        let option = "options=-c%20search_path%3D\(schema)"
        return url.contains("?") ? "\(url)&\(option)" : "\(url)?\(option)"
    }
}
