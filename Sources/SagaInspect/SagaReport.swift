package import Foundation

/// How a saga stands, decided from the data by ``SagaAnalysis``.
package enum SagaVerdict: Sendable, Hashable {
    /// `delivery.completed`, the drone back in the pool, the package delivered.
    case completed
    /// A step failed (`drone.allocation-failed`, `delivery.scheduling-failed`) and every
    /// compensation it requires ran; nothing is left allocated or active.
    case compensated
    /// `account.rejected` or `package.rejected`, and every compensation it requires ran.
    case rejected
    /// `delivery.cancelled` (customer or operator), and every compensation it requires ran.
    case cancelled
    /// Still going: the saga waits on `waitingOn` (a service) for `event` (the event type it is to
    /// emit, or to handle when it emits nothing).
    case inFlight(waitingOn: String, for: String)
    /// No progress: nothing new for longer than the threshold, an overdue timer, an unpublished
    /// outbox row, or a parked message; `reason` says which.
    case stuck(reason: String)
    /// Something that must have happened did not, or a service's state contradicts the log;
    /// each entry names one thing in plain words.
    case inconsistent(missing: [String])

    /// The state's stable name: `completed`, `compensated`, `rejected`, `cancelled`, `inFlight`,
    /// `stuck` or `inconsistent`.
    package var state: String {
        switch self {
        case .completed: "completed"
        case .compensated: "compensated"
        case .rejected: "rejected"
        case .cancelled: "cancelled"
        case .inFlight: "inFlight"
        case .stuck: "stuck"
        case .inconsistent: "inconsistent"
        }
    }

    /// Whether the saga has ended cleanly and nothing more will happen.
    package var isFinal: Bool {
        switch self {
        case .completed, .compensated, .rejected, .cancelled: true
        case .inFlight, .stuck, .inconsistent: false
        }
    }

    /// Whether an operator should look at it (stuck or inconsistent).
    package var needsAttention: Bool {
        switch self {
        case .stuck, .inconsistent: true
        default: false
        }
    }

    /// What is missing (only for `inconsistent`).
    package var missing: [String] {
        if case .inconsistent(let missing) = self { return missing }
        return []
    }
}

/// The reconstructed saga: the causation tree with who handled what, what is still pending, and
/// the verdict with its explanation. Made by ``SagaAnalysis/analyse(_:now:stuckAfter:)``.
package struct SagaReport: Sendable, Hashable {
    /// The delivery.
    package var deliveryId: UUID
    /// The verdict.
    package var verdict: SagaVerdict
    /// The verdict in one or two plain sentences.
    package var detail: String
    /// The events in tree order (depth first; roots and children in time order).
    package var events: [TracedEvent]
    /// Events committed but not yet published.
    package var pendingOutbox: [PendingOutboxEvent]
    /// The delivery's parked messages.
    package var parked: [SagaParkedMessage]
    /// Timers neither fired nor cancelled.
    package var pendingDeadlines: [SagaDeadline]
    /// Everything the saga still waits for, most pressing first (the verdict names the first).
    package var waits: [SagaWait]
    /// What could not be read, and oddities that do not change the verdict.
    package var warnings: [String]
    /// The first event's time: the origin of the relative times.
    package var startedAt: Date?
    /// The latest event, handling or commit seen.
    package var lastActivityAt: Date?
    /// The `now` the verdict was computed for.
    package var inspectedAt: Date

    /// The event with an id, if the report has it.
    package func event(_ id: UUID) -> TracedEvent? { events.first { $0.eventId == id } }
}

/// One event of the causation tree.
package struct TracedEvent: Sendable, Hashable {
    /// The event id.
    package var eventId: UUID
    /// The event type.
    package var type: String
    /// The producing service.
    package var producer: String
    /// When it occurred (for an event known only from inboxes: when it was first handled).
    package var occurredAt: Date
    /// The event that caused it, as the event says.
    package var causationId: UUID?
    /// Whether the causation id names an event of this saga (otherwise the event is a root).
    package var causeKnown: Bool
    /// Depth in the tree (0 for a root).
    package var depth: Int
    /// The events it caused, in time order.
    package var children: [UUID]
    /// Whether it undoes an earlier step (`package.cancelled`, `drone.released` other than after completion).
    package var isCompensation: Bool
    /// Whether the history service logged it (otherwise it is known only from the inboxes).
    package var logged: Bool
    /// Which services handled it, and when, earliest first.
    package var handledBy: [Handling]
    /// The reason code, for failures and compensations.
    package var reasonCode: String?
    /// The reason message, for failures and compensations.
    package var reasonMessage: String?
    /// A short note: the drone or package it names.
    package var note: String?

    /// A service's handling of an event.
    package struct Handling: Sendable, Hashable {
        /// The service.
        package var service: String
        /// When its transaction recorded the event in its inbox.
        package var at: Date
    }
}

/// Something the saga waits for: a service to emit (or publish, or handle) an event.
package struct SagaWait: Sendable, Hashable {
    /// The service.
    package var service: String
    /// The event type awaited.
    package var event: String
    /// Since when (the event that made it due, or the commit of an unpublished row).
    package var since: Date?
    /// When a timer makes it due, if one does.
    package var dueAt: Date?
    /// In plain words.
    package var description: String
}
