package import Contracts
package import Foundation

/// Everything known about one delivery's saga at one moment: the history log, every service's
/// inbox, outbox and deadlines, each service's own state for the delivery, and its parked
/// messages. Loaded by ``SagaSnapshotLoader``; judged, with no I/O, by ``SagaAnalysis``.
package struct SagaSnapshot: Sendable, Hashable {
    /// The delivery (the saga's correlation id).
    package var deliveryId: UUID
    /// The events the history service logged (`history.events`), in any order.
    package var events: [SagaEvent]
    /// Which service handled which event, and when (every schema's `inbox`).
    package var handled: [HandledEvent]
    /// Events committed by a service but not yet published (every schema's `outbox`).
    package var pendingOutbox: [PendingOutboxEvent]
    /// Durable timers of the delivery (every schema's `deadlines`).
    package var deadlines: [SagaDeadline]
    /// Each service's own rows for the delivery.
    package var state: ServiceStates
    /// Messages of the delivery waiting in a parking queue.
    package var parked: [SagaParkedMessage]
    /// What could not be read (a schema or table missing, a queue not checked).
    package var warnings: [String]

    /// A snapshot from its parts (tests build them by hand; ``SagaSnapshotLoader`` reads them).
    package init(
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
    package var isEmpty: Bool {
        events.isEmpty && handled.isEmpty && pendingOutbox.isEmpty && deadlines.isEmpty && state.isEmpty && parked.isEmpty
    }
}

/// One logged event of the saga (a row of `history.events`).
package struct SagaEvent: Sendable, Hashable {
    /// The event id.
    package var eventId: UUID
    /// The event type, e.g. `package.created`.
    package var type: String
    /// The producing service.
    package var producer: String
    /// The payload's schema version.
    package var schemaVersion: Int
    /// When the producer says it happened.
    package var occurredAt: Date
    /// When the history service logged it.
    package var recordedAt: Date?
    /// The event that caused it; `nil` for a saga's first event.
    package var causationId: UUID?
    /// The payload (the envelope's `data`).
    package var data: JSONValue

    /// An event from its fields.
    package init(
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
    package var reasonCode: String? { data["reason"]?["code"]?.stringValue }
    /// The payload's reason message (`data.reason.message`).
    package var reasonMessage: String? { data["reason"]?["message"]?.stringValue }
    /// The drone the payload names, if any.
    package var droneId: String? { data["droneId"]?.stringValue }
    /// The package the payload names, if any.
    package var packageId: String? { data["packageId"]?.stringValue?.lowercased() }
}

/// One row of a service's `inbox`: the service handled the event (committed) at `handledAt`.
package struct HandledEvent: Sendable, Hashable {
    /// The service whose inbox holds the event.
    package var service: String
    /// The event id.
    package var eventId: UUID
    /// The event type.
    package var eventType: String
    /// When the service's transaction recorded it.
    package var handledAt: Date

    /// An inbox row.
    package init(service: String, eventId: UUID, eventType: String, handledAt: Date) {
        self.service = service
        self.eventId = eventId
        self.eventType = eventType
        self.handledAt = handledAt
    }
}

/// One row of a service's `outbox`: an event committed with the service's local transaction but
/// not yet published (the relay deletes rows once the broker confirmed them).
package struct PendingOutboxEvent: Sendable, Hashable {
    /// The service whose outbox holds it.
    package var service: String
    /// The event id.
    package var eventId: UUID
    /// The event type.
    package var eventType: String
    /// The producing service.
    package var producer: String
    /// The event that caused it.
    package var causationId: UUID?
    /// When it was committed.
    package var committedAt: Date
    /// When the producer says it happened (from the envelope in the row's body).
    package var occurredAt: Date?
    /// The payload (the envelope's `data`).
    package var data: JSONValue

    /// An outbox row.
    package init(
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
package struct SagaDeadline: Sendable, Hashable {
    /// The service that scheduled it.
    package var service: String
    /// Its name, e.g. `join-timeout`.
    package var name: String
    /// When it is due.
    package var fireAt: Date
    /// When it fired, if it did.
    package var firedAt: Date?
    /// When it was cancelled, if it was.
    package var cancelledAt: Date?
    /// When it was parked after its handler failed every attempt, if it was.
    package var parkedAt: Date?
    /// The last failure of its handler, if any.
    package var lastError: String?

    /// A deadline row.
    package init(
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
    package var isPending: Bool { firedAt == nil && cancelledAt == nil && parkedAt == nil }
}

/// A message of the delivery that a service parked (its `<prefix><service>.parked` queue).
package struct SagaParkedMessage: Sendable, Hashable {
    /// The service whose parking queue holds it.
    package var service: String
    /// The parking queue.
    package var queue: String
    /// The event id (AMQP `message_id`), if the message had one.
    package var messageId: String?
    /// The event type (AMQP `type`), if the message had one.
    package var eventType: String?
    /// The delivery id (AMQP `correlation_id`), if the message had one.
    package var deliveryId: String?
    /// The stable reason code, e.g. `retries-exhausted`, `schema-violation`.
    package var reason: String
    /// The last error, human-readable.
    package var lastError: String?
    /// How many times a handler tried it.
    package var attempts: Int
    /// When it was parked (RFC 3339, as its headers say).
    package var parkedAt: String?

    /// A parked message from its fields.
    package init(
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
    package var eventId: UUID? { messageId.flatMap(UUID.init(uuidString:)) }

    /// Whether the message belongs to `deliveryId` (its correlation id).
    package func belongs(to deliveryId: UUID) -> Bool {
        self.deliveryId.flatMap(UUID.init(uuidString:)) == deliveryId
    }
}

/// Each service's own rows for one delivery; `nil` when the service has none (or its table
/// could not be read: see the snapshot's warnings).
package struct ServiceStates: Sendable, Hashable {
    /// `ingestion.requests`.
    package var request: IngestionRequestState?
    /// `account.decisions`.
    package var accountDecision: AccountDecisionState?
    /// `package.packages`.
    package var package: PackageState?
    /// `package.delivery_outcomes`.
    package var packageOutcome: PackageOutcomeState?
    /// `drone.allocations`.
    package var allocation: DroneAllocationState?
    /// `drone.drones` rows whose `delivery_id` is this delivery (normally at most one).
    package var heldDrones: [HeldDroneState]
    /// `delivery.deliveries`.
    package var delivery: DeliveryServiceState?
    /// `history.delivery_status`.
    package var status: DeliveryStatusState?

    /// The states from their parts.
    package init(
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
    package var isEmpty: Bool {
        request == nil && accountDecision == nil && package == nil && packageOutcome == nil && allocation == nil
            && heldDrones.isEmpty && delivery == nil && status == nil
    }
}

/// The ingestion service's record of the request (`ingestion.requests`).
package struct IngestionRequestState: Sendable, Hashable {
    /// The owner who asked.
    package var ownerId: String
    /// When it was accepted.
    package var acceptedAt: Date
    /// When a cancellation was asked for, if one was.
    package var cancellationRequestedAt: Date?

    /// A request row.
    package init(ownerId: String, acceptedAt: Date, cancellationRequestedAt: Date? = nil) {
        self.ownerId = ownerId
        self.acceptedAt = acceptedAt
        self.cancellationRequestedAt = cancellationRequestedAt
    }
}

/// The account service's decision (`account.decisions`).
package struct AccountDecisionState: Sendable, Hashable {
    /// The owner.
    package var ownerId: String
    /// `validated` or `rejected`.
    package var outcome: String
    /// The rejection's reason code.
    package var reasonCode: String?
    /// When it was decided.
    package var decidedAt: Date?

    /// A decision row.
    package init(ownerId: String, outcome: String, reasonCode: String? = nil, decidedAt: Date? = nil) {
        self.ownerId = ownerId
        self.outcome = outcome
        self.reasonCode = reasonCode
        self.decidedAt = decidedAt
    }
}

/// The package service's package for the delivery (`package.packages`).
package struct PackageState: Sendable, Hashable {
    /// The package.
    package var packageId: UUID
    /// `active`, `cancelled` or `delivered`.
    package var state: String
    /// The package.cancelled reason code, once cancelled.
    package var cancelReason: String?

    /// A package row.
    package init(packageId: UUID, state: String, cancelReason: String? = nil) {
        self.packageId = packageId
        self.state = state
        self.cancelReason = cancelReason
    }

    /// Whether the package is still active.
    package var isActive: Bool { state == "active" }
}

/// The first thing that happened to the delivery in the package service (`package.delivery_outcomes`).
package struct PackageOutcomeState: Sendable, Hashable {
    /// `created`, `rejected` or `cancelled-before-creation` (a tombstone).
    package var state: String
    /// The rejection or cancellation code.
    package var reasonCode: String?

    /// An outcome row.
    package init(state: String, reasonCode: String? = nil) {
        self.state = state
        self.reasonCode = reasonCode
    }
}

/// The drone service's allocation for the delivery (`drone.allocations`).
package struct DroneAllocationState: Sendable, Hashable {
    /// The drone, when one was allocated.
    package var droneId: String?
    /// `allocated`, `flying`, `delivered`, `released`, `failed` or `cancelled-before-allocation`.
    package var state: String
    /// The drone.released code, once released (or the tombstone's compensation code).
    package var releaseReason: String?
    /// The drone.allocation-failed code.
    package var failureCode: String?

    /// An allocation row.
    package init(droneId: String?, state: String, releaseReason: String? = nil, failureCode: String? = nil) {
        self.droneId = droneId
        self.state = state
        self.releaseReason = releaseReason
        self.failureCode = failureCode
    }

    /// Whether the allocation still holds its drone out of the pool.
    package var holdsDrone: Bool { ["allocated", "flying", "delivered"].contains(state) }
}

/// A drone of the fleet that names this delivery (`drone.drones` with `delivery_id` set).
package struct HeldDroneState: Sendable, Hashable {
    /// The drone.
    package var droneId: String
    /// `allocated` or `flying`.
    package var state: String

    /// A drone row.
    package init(droneId: String, state: String) {
        self.droneId = droneId
        self.state = state
    }
}

/// The delivery service's join and flight state (`delivery.deliveries`).
package struct DeliveryServiceState: Sendable, Hashable {
    /// `joining`, `scheduled`, `picked-up`, `completed`, `failed` or `cancelled`.
    package var state: String
    /// `pending`, `validated` or `rejected`.
    package var accountState: String
    /// The drone the join recorded.
    package var droneId: String?
    /// Why it failed or was cancelled.
    package var failureCode: String?

    /// A deliveries row.
    package init(state: String, accountState: String = "pending", droneId: String? = nil, failureCode: String? = nil) {
        self.state = state
        self.accountState = accountState
        self.droneId = droneId
        self.failureCode = failureCode
    }
}

/// The history service's status view (`history.delivery_status`).
package struct DeliveryStatusState: Sendable, Hashable {
    /// `Created`, `HeadedToPickup`, `HeadedToDropoff`, `Completed`, `Cancelled`, `Compensated` or `Rejected`.
    package var stage: String
    /// `inFlight`, `completed`, `compensated`, `rejected` or `stuck`.
    package var sagaState: String
    /// The reason code shown, if any.
    package var reasonCode: String?
    /// The latest event's type.
    package var lastEventType: String
    /// When the latest event occurred.
    package var updatedAt: Date

    /// A status row.
    package init(stage: String, sagaState: String, reasonCode: String? = nil, lastEventType: String, updatedAt: Date) {
        self.stage = stage
        self.sagaState = sagaState
        self.reasonCode = reasonCode
        self.lastEventType = lastEventType
        self.updatedAt = updatedAt
    }
}
