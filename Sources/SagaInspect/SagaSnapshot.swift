import Contracts
import Foundation

/// Everything known about one delivery's saga at one moment: the history log, every service's
/// inbox, outbox and deadlines, each service's own state for the delivery, and its parked
/// messages. Loaded by ``SagaSnapshotLoader``; judged, with no I/O, by ``SagaAnalysis``.
public struct SagaSnapshot: Sendable, Hashable {
    /// The delivery (the saga's correlation id).
    public var deliveryId: UUID
    /// The events the history service logged (`history.events`), in any order.
    public var events: [SagaEvent]
    /// Which service handled which event, and when (every schema's `inbox`).
    public var handled: [HandledEvent]
    /// Events committed by a service but not yet published (every schema's `outbox`).
    public var pendingOutbox: [PendingOutboxEvent]
    /// Durable timers of the delivery (every schema's `deadlines`).
    public var deadlines: [SagaDeadline]
    /// Each service's own rows for the delivery.
    public var state: ServiceStates
    /// Messages of the delivery waiting in a parking queue.
    public var parked: [SagaParkedMessage]
    /// What could not be read (a schema or table missing, a queue not checked).
    public var warnings: [String]

    /// A snapshot from its parts (tests build them by hand; ``SagaSnapshotLoader`` reads them).
    public init(
        deliveryId: UUID, events: [SagaEvent] = [], handled: [HandledEvent] = [], pendingOutbox: [PendingOutboxEvent] = [],
        deadlines: [SagaDeadline] = [], state: ServiceStates = ServiceStates(), parked: [SagaParkedMessage] = [],
        warnings: [String] = []
    ) {
        self.deliveryId = deliveryId
        self.events = events
        self.handled = handled
        self.pendingOutbox = pendingOutbox
        self.deadlines = deadlines
        self.state = state
        self.parked = parked
        self.warnings = warnings
    }

    /// Whether any service knows the delivery at all.
    public var isEmpty: Bool {
        events.isEmpty && handled.isEmpty && pendingOutbox.isEmpty && deadlines.isEmpty && state.isEmpty && parked.isEmpty
    }
}

/// One logged event of the saga (a row of `history.events`).
public struct SagaEvent: Sendable, Hashable {
    /// The event id.
    public var eventId: UUID
    /// The event type, e.g. `package.created`.
    public var type: String
    /// The producing service.
    public var producer: String
    /// The payload's schema version.
    public var schemaVersion: Int
    /// When the producer says it happened.
    public var occurredAt: Date
    /// When the history service logged it.
    public var recordedAt: Date?
    /// The event that caused it; `nil` for a saga's first event.
    public var causationId: UUID?
    /// The payload (the envelope's `data`).
    public var data: JSONValue

    /// An event from its fields.
    public init(
        eventId: UUID = UUID(), type: String, producer: String? = nil, schemaVersion: Int = 1, occurredAt: Date,
        recordedAt: Date? = nil, causationId: UUID? = nil, data: JSONValue = .object([:])
    ) {
        self.eventId = eventId
        self.type = type
        self.producer = producer ?? SagaContract.producer(of: type)
        self.schemaVersion = schemaVersion
        self.occurredAt = occurredAt
        self.recordedAt = recordedAt
        self.causationId = causationId
        self.data = data
    }

    /// The payload's reason code (`data.reason.code`), for failures and compensations.
    public var reasonCode: String? { data["reason"]?["code"]?.stringValue }
    /// The payload's reason message (`data.reason.message`).
    public var reasonMessage: String? { data["reason"]?["message"]?.stringValue }
    /// The drone the payload names, if any.
    public var droneId: String? { data["droneId"]?.stringValue }
    /// The package the payload names, if any.
    public var packageId: String? { data["packageId"]?.stringValue?.lowercased() }
}

/// One row of a service's `inbox`: the service handled the event (committed) at `handledAt`.
public struct HandledEvent: Sendable, Hashable {
    /// The service whose inbox holds the event.
    public var service: String
    /// The event id.
    public var eventId: UUID
    /// The event type.
    public var eventType: String
    /// When the service's transaction recorded it.
    public var handledAt: Date
    /// The W3C trace id the service handled it in (nil with tracing off).
    public var traceId: String?

    /// An inbox row.
    public init(service: String, eventId: UUID, eventType: String, handledAt: Date, traceId: String? = nil) {
        self.service = service
        self.eventId = eventId
        self.eventType = eventType
        self.handledAt = handledAt
        self.traceId = traceId
    }
}

/// The saga's trace id as the inboxes recorded it: the one most handlings were in (the first
/// handled on a tie), nil when none was traced.
public enum SagaTraceId {
    /// The trace id of a saga's handlings.
    public static func of(_ handled: [HandledEvent]) -> String? {
        let traced = handled.compactMap { event in event.traceId.map { (id: $0, at: event.handledAt) } }.sorted { $0.at < $1.at }
        var counts: [String: Int] = [:]
        for handling in traced { counts[handling.id, default: 0] += 1 }
        guard let most = counts.values.max() else { return nil }
        return traced.first { counts[$0.id] == most }?.id
    }
}

/// One row of a service's `outbox`: an event committed with the service's local transaction but
/// not yet published (the relay deletes rows once the broker confirmed them).
public struct PendingOutboxEvent: Sendable, Hashable {
    /// The service whose outbox holds it.
    public var service: String
    /// The event id.
    public var eventId: UUID
    /// The event type.
    public var eventType: String
    /// The producing service.
    public var producer: String
    /// The event that caused it.
    public var causationId: UUID?
    /// When it was committed.
    public var committedAt: Date
    /// When the producer says it happened (from the envelope in the row's body).
    public var occurredAt: Date?
    /// The payload (the envelope's `data`).
    public var data: JSONValue

    /// An outbox row.
    public init(
        service: String, eventId: UUID = UUID(), eventType: String, producer: String? = nil, causationId: UUID? = nil,
        committedAt: Date, occurredAt: Date? = nil, data: JSONValue = .object([:])
    ) {
        self.service = service
        self.eventId = eventId
        self.eventType = eventType
        self.producer = producer ?? service
        self.causationId = causationId
        self.committedAt = committedAt
        self.occurredAt = occurredAt
        self.data = data
    }
}

/// One durable timer of the delivery (a row of a service's `deadlines`).
public struct SagaDeadline: Sendable, Hashable {
    /// The service that scheduled it.
    public var service: String
    /// Its name, e.g. `join-timeout`.
    public var name: String
    /// When it is due.
    public var fireAt: Date
    /// When it fired, if it did.
    public var firedAt: Date?
    /// When it was cancelled, if it was.
    public var cancelledAt: Date?
    /// When it was parked after its handler failed every attempt, if it was.
    public var parkedAt: Date?
    /// The last failure of its handler, if any.
    public var lastError: String?

    /// A deadline row.
    public init(
        service: String, name: String, fireAt: Date, firedAt: Date? = nil, cancelledAt: Date? = nil, parkedAt: Date? = nil,
        lastError: String? = nil
    ) {
        self.service = service
        self.name = name
        self.fireAt = fireAt
        self.firedAt = firedAt
        self.cancelledAt = cancelledAt
        self.parkedAt = parkedAt
        self.lastError = lastError
    }

    /// Neither fired, cancelled nor parked: it will still fire.
    public var isPending: Bool { firedAt == nil && cancelledAt == nil && parkedAt == nil }
}

/// A message of the delivery that a service parked (its `<prefix><service>.parked` queue).
public struct SagaParkedMessage: Sendable, Hashable {
    /// The service whose parking queue holds it.
    public var service: String
    /// The parking queue.
    public var queue: String
    /// The event id (AMQP `message_id`), if the message had one.
    public var messageId: String?
    /// The event type (AMQP `type`), if the message had one.
    public var eventType: String?
    /// The delivery id (AMQP `correlation_id`), if the message had one.
    public var deliveryId: String?
    /// The stable reason code, e.g. `retries-exhausted`, `schema-violation`.
    public var reason: String
    /// The last error, human-readable.
    public var lastError: String?
    /// How many times a handler tried it.
    public var attempts: Int
    /// When it was parked (RFC 3339, as its headers say).
    public var parkedAt: String?

    /// A parked message from its fields.
    public init(
        service: String, queue: String? = nil, messageId: String?, eventType: String?, deliveryId: String?, reason: String,
        lastError: String? = nil, attempts: Int = 0, parkedAt: String? = nil
    ) {
        self.service = service
        self.queue = queue ?? "\(service).parked"
        self.messageId = messageId
        self.eventType = eventType
        self.deliveryId = deliveryId
        self.reason = reason
        self.lastError = lastError
        self.attempts = attempts
        self.parkedAt = parkedAt
    }

    /// The event id as a UUID, if it is one.
    public var eventId: UUID? { messageId.flatMap(UUID.init(uuidString:)) }

    /// Whether the message belongs to `deliveryId` (its correlation id).
    public func belongs(to deliveryId: UUID) -> Bool {
        self.deliveryId.flatMap(UUID.init(uuidString:)) == deliveryId
    }
}

/// Each service's own rows for one delivery; `nil` when the service has none (or its table
/// could not be read: see the snapshot's warnings).
public struct ServiceStates: Sendable, Hashable {
    /// `ingestion.requests`.
    public var request: IngestionRequestState?
    /// `account.decisions`.
    public var accountDecision: AccountDecisionState?
    /// `package.packages`.
    public var package: PackageState?
    /// `package.delivery_outcomes`.
    public var packageOutcome: PackageOutcomeState?
    /// `drone.allocations`.
    public var allocation: DroneAllocationState?
    /// `drone.drones` rows whose `delivery_id` is this delivery (normally at most one).
    public var heldDrones: [HeldDroneState]
    /// `delivery.deliveries`.
    public var delivery: DeliveryServiceState?
    /// `history.delivery_status`.
    public var status: DeliveryStatusState?

    /// The states from their parts.
    public init(
        request: IngestionRequestState? = nil, accountDecision: AccountDecisionState? = nil, package: PackageState? = nil,
        packageOutcome: PackageOutcomeState? = nil, allocation: DroneAllocationState? = nil, heldDrones: [HeldDroneState] = [],
        delivery: DeliveryServiceState? = nil, status: DeliveryStatusState? = nil
    ) {
        self.request = request
        self.accountDecision = accountDecision
        self.package = package
        self.packageOutcome = packageOutcome
        self.allocation = allocation
        self.heldDrones = heldDrones
        self.delivery = delivery
        self.status = status
    }

    /// Whether no service has a row for the delivery.
    public var isEmpty: Bool {
        request == nil && accountDecision == nil && package == nil && packageOutcome == nil && allocation == nil
            && heldDrones.isEmpty && delivery == nil && status == nil
    }
}

/// The ingestion service's record of the request (`ingestion.requests`).
public struct IngestionRequestState: Sendable, Hashable {
    /// The owner who asked.
    public var ownerId: String
    /// When it was accepted.
    public var acceptedAt: Date
    /// When a cancellation was asked for, if one was.
    public var cancellationRequestedAt: Date?

    /// A request row.
    public init(ownerId: String, acceptedAt: Date, cancellationRequestedAt: Date? = nil) {
        self.ownerId = ownerId
        self.acceptedAt = acceptedAt
        self.cancellationRequestedAt = cancellationRequestedAt
    }
}

/// The account service's decision (`account.decisions`).
public struct AccountDecisionState: Sendable, Hashable {
    /// The owner.
    public var ownerId: String
    /// `validated` or `rejected`.
    public var outcome: String
    /// The rejection's reason code.
    public var reasonCode: String?
    /// When it was decided.
    public var decidedAt: Date?

    /// A decision row.
    public init(ownerId: String, outcome: String, reasonCode: String? = nil, decidedAt: Date? = nil) {
        self.ownerId = ownerId
        self.outcome = outcome
        self.reasonCode = reasonCode
        self.decidedAt = decidedAt
    }
}

/// The package service's package for the delivery (`package.packages`).
public struct PackageState: Sendable, Hashable {
    /// The package.
    public var packageId: UUID
    /// `active`, `cancelled` or `delivered`.
    public var state: String
    /// The package.cancelled reason code, once cancelled.
    public var cancelReason: String?

    /// A package row.
    public init(packageId: UUID, state: String, cancelReason: String? = nil) {
        self.packageId = packageId
        self.state = state
        self.cancelReason = cancelReason
    }

    /// Whether the package is still active.
    public var isActive: Bool { state == "active" }
}

/// The first thing that happened to the delivery in the package service (`package.delivery_outcomes`).
public struct PackageOutcomeState: Sendable, Hashable {
    /// `created`, `rejected` or `cancelled-before-creation` (a tombstone).
    public var state: String
    /// The rejection or cancellation code.
    public var reasonCode: String?

    /// An outcome row.
    public init(state: String, reasonCode: String? = nil) {
        self.state = state
        self.reasonCode = reasonCode
    }
}

/// The drone service's allocation for the delivery (`drone.allocations`).
public struct DroneAllocationState: Sendable, Hashable {
    /// The drone, when one was allocated.
    public var droneId: String?
    /// `allocated`, `flying`, `delivered`, `released`, `failed` or `cancelled-before-allocation`.
    public var state: String
    /// The drone.released code, once released (or the tombstone's compensation code).
    public var releaseReason: String?
    /// The drone.allocation-failed code.
    public var failureCode: String?

    /// An allocation row.
    public init(droneId: String?, state: String, releaseReason: String? = nil, failureCode: String? = nil) {
        self.droneId = droneId
        self.state = state
        self.releaseReason = releaseReason
        self.failureCode = failureCode
    }

    /// Whether the allocation still holds its drone out of the pool.
    public var holdsDrone: Bool { ["allocated", "flying", "delivered"].contains(state) }
}

/// A drone of the fleet that names this delivery (`drone.drones` with `delivery_id` set).
public struct HeldDroneState: Sendable, Hashable {
    /// The drone.
    public var droneId: String
    /// `allocated` or `flying`.
    public var state: String

    /// A drone row.
    public init(droneId: String, state: String) {
        self.droneId = droneId
        self.state = state
    }
}

/// The delivery service's join and flight state (`delivery.deliveries`).
public struct DeliveryServiceState: Sendable, Hashable {
    /// `joining`, `scheduled`, `picked-up`, `completed`, `failed` or `cancelled`.
    public var state: String
    /// `pending`, `validated` or `rejected`.
    public var accountState: String
    /// The drone the join recorded.
    public var droneId: String?
    /// Why it failed or was cancelled.
    public var failureCode: String?

    /// A deliveries row.
    public init(state: String, accountState: String = "pending", droneId: String? = nil, failureCode: String? = nil) {
        self.state = state
        self.accountState = accountState
        self.droneId = droneId
        self.failureCode = failureCode
    }
}

/// The history service's status view (`history.delivery_status`).
public struct DeliveryStatusState: Sendable, Hashable {
    /// `Created`, `HeadedToPickup`, `HeadedToDropoff`, `Completed`, `Cancelled`, `Compensated` or `Rejected`.
    public var stage: String
    /// `inFlight`, `completed`, `compensated`, `rejected` or `stuck`.
    public var sagaState: String
    /// The reason code shown, if any.
    public var reasonCode: String?
    /// The latest event's type.
    public var lastEventType: String
    /// When the latest event occurred.
    public var updatedAt: Date

    /// A status row.
    public init(stage: String, sagaState: String, reasonCode: String? = nil, lastEventType: String, updatedAt: Date) {
        self.stage = stage
        self.sagaState = sagaState
        self.reasonCode = reasonCode
        self.lastEventType = lastEventType
        self.updatedAt = updatedAt
    }
}
