public import Contracts
public import Logging
public import Postgres

/// A handler for one event type: runs inside the service's local transaction, on the
/// transaction's connection, changes the service's own tables and emits through the context.
public typealias EventHandler = @Sendable (ReceivedEvent, inout HandlerContext, isolated PostgresConnection) throws -> Void

/// A handler for several events at once, inside the one transaction they share, for a service
/// whose handlers emit nothing and schedule nothing (a read side): one statement can then do for
/// all of them what the one-event handler does for one. `events` are in delivery order, one
/// delivery's in arrival order; `logger` is the service's.
public typealias EventBatchHandler = @Sendable (_ events: [ReceivedEvent], _ logger: Logger, isolated PostgresConnection) throws -> Void

/// A handler for a named deadline that has come due; runs in its own local transaction.
public typealias DeadlineHandler = @Sendable (FiredDeadline, inout HandlerContext, isolated PostgresConnection) throws -> Void

/// Work a service does once per start, after migrations and before consuming (e.g. seeding
/// reference data from its configuration); runs in one transaction and must be idempotent.
public typealias StartupTask = @Sendable (isolated PostgresConnection, Logger) throws -> Void

/// Set-up a service needs done with the administrator connection (only when the runtime has
/// `DATABASE_ADMIN_URL`), after its role and schema exist: e.g. a shared schema it reads, and
/// grants to `serviceRole`. Runs in one transaction at every start and must be idempotent.
public typealias AdminSetupTask = @Sendable (isolated PostgresConnection, _ serviceRole: SQLIdentifier, Logger) throws -> Void

/// Everything the runtime needs to know about a service: its name, schema, migrations, the
/// event types it handles and the deadlines it reacts to. Handlers never touch AMQP.
public struct ServiceDefinition: Sendable {
    /// Prefix of the service's queues, e.g. `package` → `package.events`.
    public var name: String
    /// The PostgreSQL schema the service owns.
    public var schema: SQLIdentifier
    /// The service's own migrations (the runtime's tables are added before them).
    public var migrations: [Migration]
    /// Extra routing keys or patterns for the work queue (e.g. `#` for a service that logs all).
    public var extraBindings: [String] = []
    /// How many events a worker may handle in one transaction (default 1). More saves a commit
    /// per event; a transaction in which any event fails is rolled back and its events are
    /// handled one per transaction. Raise it only where handlers' locks cannot make two such
    /// transactions wait on each other for long. `EVENTS_PER_TRANSACTION` overrides it.
    public var eventsPerTransaction = 1
    /// Set for the saga's services (`QUEUE_PREFIX`, possibly empty): before it publishes or
    /// consumes, the runtime declares the whole ``SagaTopology`` with this queue prefix, not only
    /// the service's own queues. Nil for a service outside the saga (tests, the echo service).
    public var sagaQueuePrefix: String?

    private(set) var eventHandlers: [String: EventHandler] = [:]
    private(set) var fallbackHandler: EventHandler?
    private(set) var batchHandler: EventBatchHandler?
    private(set) var deadlineHandlers: [String: DeadlineHandler] = [:]
    private(set) var startupTasks: [StartupTask] = []
    private(set) var adminSetupTasks: [AdminSetupTask] = []

    /// Defines a service; add handlers with `on(_:)`, `onDeadline(_:)`.
    public init(name: String, schema: SQLIdentifier, migrations: [Migration]) {
        self.name = name
        self.schema = schema
        self.migrations = migrations
    }

    /// Handles events of one type, decoded.
    public mutating func on<Event: DomainEvent>(
        _ type: Event.Type,
        _ handler: @escaping @Sendable (Event, ReceivedEvent, inout HandlerContext, isolated PostgresConnection) throws -> Void
    ) {
        eventHandlers[Event.eventType.rawValue] = { received, context, db in
            let event = try received.decode(Event.self)
            try handler(event, received, &context, db)
        }
    }

    /// Handles events of these types with one handler that needs no payload (the envelope and its
    /// payload are validated before any handler runs).
    public mutating func on(_ types: [EventType], _ handler: @escaping EventHandler) {
        for type in types { eventHandlers[type.rawValue] = handler }
    }

    /// Handles every event the work queue receives that has no specific handler.
    public mutating func onAnyEvent(_ handler: @escaping EventHandler) {
        fallbackHandler = handler
    }

    /// Handles the events of a transaction that holds more than one (see
    /// ``eventsPerTransaction``) with one call, in place of their one-event handlers, which still
    /// handle an event alone (a batch of one, or the redo of a failed shared transaction) and
    /// must leave the same result. It must cover every event type the service takes, emit
    /// nothing and schedule nothing.
    public mutating func onEventBatch(_ handler: @escaping EventBatchHandler) {
        batchHandler = handler
    }

    /// Reacts to a named deadline coming due.
    public mutating func onDeadline(_ name: String, _ handler: @escaping DeadlineHandler) {
        deadlineHandlers[name] = handler
    }

    /// Runs `task` at every start of an instance, after migrations, before consuming.
    public mutating func onStartup(_ task: @escaping StartupTask) {
        startupTasks.append(task)
    }

    /// Runs `task` with the administrator connection at every start (see ``AdminSetupTask``).
    public mutating func onAdminSetup(_ task: @escaping AdminSetupTask) {
        adminSetupTasks.append(task)
    }

    /// The handler for an event type, if the service takes it.
    func handler(for type: String) -> EventHandler? {
        eventHandlers[type] ?? fallbackHandler
    }

    /// The routing keys the work queue is bound to.
    public var bindings: [String] {
        eventHandlers.keys.sorted() + extraBindings
    }
}
