public import AMQP
public import Foundation

/// How a service instance runs, read from the environment (12-factor).
///
/// Every key may be given per service as `<SERVICE>_<KEY>` (e.g. `PACKAGE_DATABASE_URL`), which
/// wins over the plain `<KEY>`. Keys and defaults (the defaults match `scripts/servers.sh`):
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
/// - `WORKERS` — database connections handling events in parallel (`4`)
/// - `EVENTS_PER_TRANSACTION` — events a worker handles in one transaction (the service
///   definition's `eventsPerTransaction`, 1 unless the service says otherwise)
/// - `RETRY_MAX_ATTEMPTS` (`5`), `RETRY_INITIAL_DELAY_MS` (`1000`), `RETRY_MULTIPLIER` (`4`),
///   `RETRY_MAX_DELAY_MS` (`300000`)
/// - `OUTBOX_RELAY_INTERVAL_MS` (`1000`), `OUTBOX_RELAY_GRACE_MS` (`5000`): how often the relay
///   looks, and how old a row must be before it takes it from the fast path
/// - `DEADLINE_POLL_INTERVAL_MS` (`250`)
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
    public var deadlinePollInterval: Duration
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
        deadlinePollInterval = .milliseconds(250)
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
    ) throws -> ChoreographyConfiguration {
        let prefix = service.uppercased().replacingOccurrences(of: "-", with: "_") + "_"
        func value(_ key: String) -> String? {
            (environment[prefix + key] ?? environment[key]).flatMap { $0.isEmpty ? nil : $0 }
        }
        func integer(_ key: String, _ fallback: Int, minimum: Int = 0) throws -> Int {
            guard let text = value(key) else { return fallback }
            guard let number = Int(text), number >= minimum else {
                throw ChoreographyError(.configuration, "\(key) must be an integer ≥ \(minimum), got '\(text)'")
            }
            return number
        }
        var configuration = ChoreographyConfiguration(schema: schema)
        if let url = try PasswordFile.resolve("AMQP_URL", value: value) { configuration.amqpURL = url }
        if let url = try PasswordFile.resolve("DATABASE_URL", value: value) { configuration.databaseURL = url }
        configuration.databaseAdminURL = try PasswordFile.resolve("DATABASE_ADMIN_URL", value: value)
        configuration.amqpAdminURL = try PasswordFile.resolve("AMQP_ADMIN_URL", value: value)
        if let relayers = value("BROKER_RELAYERS") {
            configuration.brokerRelayers = Set(relayers.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
        }
        if let exchange = value("EVENT_EXCHANGE") { configuration.exchange = exchange }
        configuration.bindingExchange = value("EVENT_BINDING_EXCHANGE")
        if let kind = value("QUEUE_TYPE") {
            guard let parsed = AMQPQueueOptions.Kind(rawValue: kind) else {
                throw ChoreographyError(.configuration, "QUEUE_TYPE must be classic or quorum, got '\(kind)'")
            }
            configuration.queueKind = parsed
        }
        configuration.prefetch = try integer("PREFETCH", 64, minimum: 1)
        configuration.workers = try integer("WORKERS", 4, minimum: 1)
        if value("EVENTS_PER_TRANSACTION") != nil {
            configuration.eventsPerTransaction = try integer("EVENTS_PER_TRANSACTION", 1, minimum: 1)
        }
        configuration.retryPolicy = RetryPolicy(
            maximumAttempts: try integer("RETRY_MAX_ATTEMPTS", 5, minimum: 1),
            initialDelay: .milliseconds(try integer("RETRY_INITIAL_DELAY_MS", 1000, minimum: 1)),
            multiplier: try integer("RETRY_MULTIPLIER", 4, minimum: 1),
            maximumDelay: .milliseconds(try integer("RETRY_MAX_DELAY_MS", 300_000, minimum: 1)))
        configuration.relayInterval = .milliseconds(try integer("OUTBOX_RELAY_INTERVAL_MS", 1000, minimum: 10))
        configuration.relayGrace = .milliseconds(try integer("OUTBOX_RELAY_GRACE_MS", 5000))
        configuration.deadlinePollInterval = .milliseconds(try integer("DEADLINE_POLL_INTERVAL_MS", 250, minimum: 10))
        if let host = value("HTTP_HOST") { configuration.httpHost = host }
        let port = try integer("HTTP_PORT", 0)
        configuration.httpPort = port == 0 ? nil : port
        configuration.httpDatabaseConnections = try integer("HTTP_DB_CONNECTIONS", 4, minimum: 1)
        configuration.shutdownTimeout = .seconds(try integer("SHUTDOWN_TIMEOUT_S", 20, minimum: 1))
        func probability(_ key: String) throws -> Double {
            guard let text = value(key) else { return 0 }
            guard let probability = Double(text), (0...1).contains(probability) else {
                throw ChoreographyError(.configuration, "\(key) must be between 0 and 1, got '\(text)'")
            }
            return probability
        }
        configuration.faults.failureProbability = try probability("FAULT_FAILURE_PROBABILITY")
        configuration.faults.forwardFailureProbability = try probability("FAULT_FORWARD_FAILURE_PROBABILITY")
        configuration.faults.crashProbability = try probability("FAULT_CRASH_PROBABILITY")
        let pauseAfterCommit = try integer("FAULT_PAUSE_AFTER_COMMIT_MS", 0)
        configuration.faults.pauseAfterCommit = pauseAfterCommit > 0 ? .milliseconds(pauseAfterCommit) : nil
        let pauseBeforeAck = try integer("FAULT_PAUSE_BEFORE_ACK_MS", 0)
        configuration.faults.pauseBeforeAck = pauseBeforeAck > 0 ? .milliseconds(pauseBeforeAck) : nil
        return configuration
    }
}
