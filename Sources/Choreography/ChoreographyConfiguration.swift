public import AMQP
public import Foundation

/// How a service instance runs, read from the environment (12-factor) through ``ServiceSettings``.
///
/// Every key may be given per service as `<SERVICE>_<KEY>` (e.g. `PACKAGE_DATABASE_URL`), which
/// wins over the plain `<KEY>`; an empty value counts as unset; a malformed one is a ``SettingError``. Keys and defaults (the defaults match `scripts/servers.sh`):
/// - `AMQP_URL` — broker, as the service's own user (`amqp://<schema>@127.0.0.1:5680/%2f`; no default password)
/// - `DATABASE_URL` — the service's own role (`postgresql://<schema>@127.0.0.1:5440/fabrikam`; no default password)
/// - `DATABASE_ADMIN_URL` — optional; when set, the role and schema are created with it at start-up
/// - `AMQP_ADMIN_URL` — optional; when set, the whole saga's queues and bindings are declared with
///   it at start-up (a service's own broker user may configure only its own queues)
/// - `BROKER_RELAYERS` — broker users, besides the service's own, whose copies of other
///   publishers' events are believed (see `PublisherIdentity`; default `<QUEUE_PREFIX>saga-admin`,
///   whose replays of parked messages name the original publisher)
/// - `<NAME>_PASSWORD_FILE` for each URL above (`AMQP_PASSWORD_FILE`, `DATABASE_PASSWORD_FILE`,
///   `DATABASE_ADMIN_PASSWORD_FILE`, `AMQP_ADMIN_PASSWORD_FILE`) — the URL's password read from a
///   file (a Docker secret), so that it is not in the environment
/// - `EVENT_EXCHANGE` — topic exchange (`fabrikam.events`)
/// - `EVENT_BINDING_EXCHANGE` — the exchange work queues are bound to (default: `EVENT_EXCHANGE`);
///   only the schedule harness sets it, so that it alone delivers to the services' queues
/// - `QUEUE_TYPE` — `classic` or `quorum` (`classic`)
/// - `PREFETCH` — unacknowledged deliveries per instance (`64`)
/// - `WORKERS` — most database connections handling one batch's events in parallel (`4`)
/// - `EVENTS_PER_TRANSACTION` — events a worker handles in one transaction (the service
///   definition's `eventsPerTransaction`, 1 unless the service says otherwise)
/// - `RETRY_MAX_ATTEMPTS` (`5`), `RETRY_INITIAL_DELAY_MS` (`1000`), `RETRY_MULTIPLIER` (`4`),
///   `RETRY_MAX_DELAY_MS` (`300000`)
/// - `OUTBOX_RELAY_INTERVAL_MS` (`1000`), `OUTBOX_RELAY_GRACE_MS` (`5000`): how often the relay
///   looks, and how old a row must be before it takes it from the fast path
/// - `OUTBOX_SWEEP_INTERVAL_MS` (`100`): how often the rows the broker confirmed are deleted
///   (see `OutboxSweeper`); keep it well under the relay's grace
/// - `DEADLINE_POLL_INTERVAL_MS` (`250`); `DEADLINES_PER_TRANSACTION` — due deadlines fired in one
///   transaction (`16`; if it fails, they fire again one per transaction)
/// - `HTTP_HOST` (`127.0.0.1`), `HTTP_PORT` (`0`: no HTTP server) — health and metrics
/// - `HTTP_DB_CONNECTIONS` (`4`) — pooled connections for a service's own HTTP routes
/// - `SHUTDOWN_TIMEOUT_S` (`20`)
/// - Fault injection, all off by default: `FAULT_FAILURE_PROBABILITY` (0…1, a handler fails as if
///   it threw, and is retried), `FAULT_FORWARD_FAILURE_PROBABILITY` (0…1, the service's forward
///   step reports its domain failure, e.g. `drone.allocation-failed`, so compensations run),
///   `FAULT_CRASH_PROBABILITY` (0…1 per batch, the process exits abruptly between commit and
///   publish), `FAULT_PAUSE_AFTER_COMMIT_MS` (wait between commit and publish),
///   `FAULT_PAUSE_BEFORE_ACK_MS` (wait between publish and ack) — the windows crash tests kill in.
public struct ChoreographyConfiguration: Sendable {
    /// Switches for chaos and crash tests.
    public struct FaultInjection: Sendable {
        /// Chance that a handler invocation fails before it runs.
        public var failureProbability: Double = 0
        /// Chance that a forward step reports its domain failure (see `HandlerContext.forwardStepShouldFail`).
        public var forwardFailureProbability: Double = 0
        /// Chance, per handled batch, that the process exits abruptly after commit, before publish and ack.
        public var crashProbability: Double = 0
        /// Wait after a batch committed, before its events are published.
        public var pauseAfterCommit: Duration?
        /// Wait after a batch's events were published, before it is acknowledged.
        public var pauseBeforeAck: Duration?
        /// All off.
        public init() {}
    }

    public var amqpURL: String
    public var databaseURL: String
    public var databaseAdminURL: String?
    /// Broker URL with the rights to declare every service's queues (`AMQP_ADMIN_URL`); nil: only the service's own.
    public var amqpAdminURL: String?
    /// Broker users besides the service's own whose relayed copies are believed (`BROKER_RELAYERS`;
    /// nil: the operator's tool, `<queue prefix>saga-admin`).
    public var brokerRelayers: Set<String>?
    public var exchange: String
    /// Where the work queues are bound (nil: `exchange`). See `EVENT_BINDING_EXCHANGE`.
    public var bindingExchange: String?
    public var queueKind: AMQPQueueOptions.Kind
    public var prefetch: Int
    public var workers: Int
    /// Events per transaction; nil takes the service definition's `eventsPerTransaction`.
    public var eventsPerTransaction: Int?
    public var retryPolicy: RetryPolicy
    public var relayInterval: Duration
    public var relayGrace: Duration
    /// How often confirmed outbox rows are deleted (`OUTBOX_SWEEP_INTERVAL_MS`).
    public var outboxSweepInterval: Duration
    public var deadlinePollInterval: Duration
    /// Due deadlines fired in one transaction (`DEADLINES_PER_TRANSACTION`).
    public var deadlinesPerTransaction: Int
    public var httpHost: String
    public var httpPort: Int?
    public var httpDatabaseConnections: Int
    public var shutdownTimeout: Duration
    public var faults: FaultInjection

    /// Defaults for a service whose schema (and role) is `schema`.
    public init(schema: String) {
        // The service's own user and role on the local servers; passwords must come from the
        // environment (the URL or a *_PASSWORD_FILE): there are no default credentials.
        amqpURL = "amqp://\(schema)@127.0.0.1:5680/%2f"
        databaseURL = "postgresql://\(schema)@127.0.0.1:5440/fabrikam"
        databaseAdminURL = nil
        amqpAdminURL = nil
        brokerRelayers = nil
        exchange = "fabrikam.events"
        queueKind = .classic
        prefetch = 64
        workers = 4
        retryPolicy = RetryPolicy()
        relayInterval = .seconds(1)
        relayGrace = .seconds(5)
        outboxSweepInterval = .milliseconds(100)
        deadlinePollInterval = .milliseconds(250)
        deadlinesPerTransaction = 16
        httpHost = "127.0.0.1"
        httpPort = nil
        httpDatabaseConnections = 4
        shutdownTimeout = .seconds(20)
        faults = FaultInjection()
    }

    /// The broker users whose relayed copies this service believes: its own (it publishes its
    /// retry and parking copies) and `brokerRelayers`.
    public func relayers(queuePrefix: String) throws -> Set<String> {
        (brokerRelayers ?? [BrokerGrants.operatorUser(queuePrefix: queuePrefix)]).union([try AMQPConfiguration(url: amqpURL).user])
    }

    /// Reads the configuration of service `service` (schema `schema`) from `environment`.
    public static func fromEnvironment(
        service: String, schema: String, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(SettingError) -> ChoreographyConfiguration {
        try ChoreographyConfiguration(reading: ServiceSettings(service: service, environment: environment), schema: schema)
    }

    /// Reads the configuration of a service whose schema is `schema` from `settings` (the keys
    /// above; unset keys take the defaults of ``init(schema:)``).
    public init(reading settings: ServiceSettings, schema: String) throws(SettingError) {
        self.init(schema: schema)
        if let url = try settings.url("AMQP_URL") { amqpURL = url }
        if let url = try settings.url("DATABASE_URL") { databaseURL = url }
        databaseAdminURL = try settings.url("DATABASE_ADMIN_URL")
        amqpAdminURL = try settings.url("AMQP_ADMIN_URL")
        if let relayers = settings.string("BROKER_RELAYERS") {
            brokerRelayers = Set(relayers.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
        }
        exchange = settings.string("EVENT_EXCHANGE", default: exchange)
        bindingExchange = settings.string("EVENT_BINDING_EXCHANGE")
        queueKind = try settings.choice("QUEUE_TYPE", of: AMQPQueueOptions.Kind.self) ?? queueKind
        prefetch = try settings.integer("PREFETCH", default: prefetch, minimum: 1)
        workers = try settings.integer("WORKERS", default: workers, minimum: 1)
        eventsPerTransaction = try settings.integer("EVENTS_PER_TRANSACTION", minimum: 1)
        retryPolicy = RetryPolicy(
            maximumAttempts: try settings.integer("RETRY_MAX_ATTEMPTS", default: 5, minimum: 1),
            initialDelay: .milliseconds(try settings.integer("RETRY_INITIAL_DELAY_MS", default: 1000, minimum: 1)),
            multiplier: try settings.integer("RETRY_MULTIPLIER", default: 4, minimum: 1),
            maximumDelay: .milliseconds(try settings.integer("RETRY_MAX_DELAY_MS", default: 300_000, minimum: 1)))
        relayInterval = .milliseconds(try settings.integer("OUTBOX_RELAY_INTERVAL_MS", default: 1000, minimum: 10))
        relayGrace = .milliseconds(try settings.integer("OUTBOX_RELAY_GRACE_MS", default: 5000))
        outboxSweepInterval = .milliseconds(try settings.integer("OUTBOX_SWEEP_INTERVAL_MS", default: 100, minimum: 1))
        deadlinePollInterval = .milliseconds(try settings.integer("DEADLINE_POLL_INTERVAL_MS", default: 250, minimum: 10))
        deadlinesPerTransaction = try settings.integer("DEADLINES_PER_TRANSACTION", default: deadlinesPerTransaction, minimum: 1)
        httpHost = settings.string("HTTP_HOST", default: httpHost)
        let port = try settings.integer("HTTP_PORT", default: 0)
        httpPort = port == 0 ? nil : port
        httpDatabaseConnections = try settings.integer("HTTP_DB_CONNECTIONS", default: httpDatabaseConnections, minimum: 1)
        shutdownTimeout = .seconds(try settings.integer("SHUTDOWN_TIMEOUT_S", default: 20, minimum: 1))
        faults.failureProbability = try settings.probability("FAULT_FAILURE_PROBABILITY")
        faults.forwardFailureProbability = try settings.probability("FAULT_FORWARD_FAILURE_PROBABILITY")
        faults.crashProbability = try settings.probability("FAULT_CRASH_PROBABILITY")
        let pauseAfterCommit = try settings.integer("FAULT_PAUSE_AFTER_COMMIT_MS", default: 0)
        faults.pauseAfterCommit = pauseAfterCommit > 0 ? .milliseconds(pauseAfterCommit) : nil
        let pauseBeforeAck = try settings.integer("FAULT_PAUSE_BEFORE_ACK_MS", default: 0)
        faults.pauseBeforeAck = pauseBeforeAck > 0 ? .milliseconds(pauseBeforeAck) : nil
    }
}
