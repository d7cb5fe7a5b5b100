public import Contracts
public import Foundation
public import Logging

/// An event as a handler receives it: the validated envelope, the raw body and the attempt.
public struct ReceivedEvent: Sendable {
    /// The validated envelope (payload still as JSON).
    public let envelope: AnyEventEnvelope
    /// The message body as received.
    public let body: [UInt8]
    /// 1 on the first delivery to a handler, then one more per retry.
    public let attempt: Int

    /// The event id (the inbox key).
    public var id: UUID { envelope.id }
    /// The event type, e.g. `package.created`.
    public var type: String { envelope.type.rawValue }
    /// The delivery (saga) this event belongs to.
    public var deliveryId: UUID { envelope.deliveryId }
    /// The event that caused this one, if any.
    public var causationId: UUID? { envelope.causationId }

    /// Decodes the payload (`data`) as the given event type.
    public func decode<Event: DomainEvent>(_ type: Event.Type = Event.self) throws -> Event {
        try envelope.payload(as: type)
    }
}

/// A deadline that has come due, as its handler receives it.
public struct FiredDeadline: Sendable {
    /// The deadline's name, e.g. `join-timeout`.
    public let name: String
    /// The delivery it belongs to.
    public let deliveryId: UUID
    /// When it was due.
    public let dueAt: Date
    /// What the scheduling handler stored with it.
    public let payload: JSONValue
    /// The event whose handler scheduled it.
    public let causationId: UUID?
}

/// An event committed to the outbox, waiting to be published.
struct OutboxEvent: Sendable {
    let eventId: UUID
    let type: String
    let producer: String
    let schemaVersion: Int
    let deliveryId: UUID
    let causationId: UUID?
    let body: String
    /// The trace context of the span that emitted it (nil with tracing off).
    var trace: TraceCarrier? = nil
}

/// A deadline a handler asked for.
struct DeadlineRequest: Sendable {
    let name: String
    let deliveryId: UUID
    let fireAt: Date
    let payload: JSONValue
    /// The trace context of the span that scheduled it, continued when it fires.
    var trace: TraceCarrier? = nil
    /// Whether an existing, pending deadline of the name is moved to `fireAt` when that is later.
    var postponing = false
}

/// Thrown by a handler that must wait for a lock while it shares its transaction
/// (``HandlerContext/sharesTransaction``): the shared transaction is rolled back and its events
/// (or deadlines) are handled one per transaction, where the wait cannot close a cycle of locks.
public struct OwnTransactionNeeded: Error, CustomStringConvertible {
    /// What the handler would have waited for.
    public var reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { "needs a transaction of its own: \(reason)" }
}

/// What a handler can do besides changing its own tables: emit events (committed to the outbox
/// with its changes) and schedule or cancel deadlines for the delivery it is working on.
public struct HandlerContext: Sendable {
    /// The delivery being worked on.
    public let deliveryId: UUID
    /// The event being handled (or the event that scheduled a fired deadline).
    public let causationId: UUID?
    /// A logger with the delivery id and event metadata attached.
    public var logger: Logger
    /// Fault injection (`FAULT_FORWARD_FAILURE_PROBABILITY`): when true, a service's forward step
    /// reports its domain failure instead of succeeding, so chaos tests drive the compensations.
    public var forwardStepShouldFail: Bool = false
    /// Whether this work shares its transaction with other events or deadlines (of other
    /// deliveries). Such a transaction may already hold locks, so a handler that would wait for
    /// one throws ``OwnTransactionNeeded`` instead; the work is then done in a transaction of its own.
    public let sharesTransaction: Bool
    /// The trace context of the span doing this work (nil with tracing off): stored with what it
    /// emits and schedules, so that publishing and firing continue its trace.
    let trace: TraceCarrier?

    private(set) var emitted: [OutboxEvent] = []
    private(set) var scheduled: [DeadlineRequest] = []
    private(set) var cancelled: [String] = []

    init(
        deliveryId: UUID, causationId: UUID?, logger: Logger, forwardFailureProbability: Double = 0, trace: TraceCarrier? = nil,
        sharesTransaction: Bool = false
    ) {
        self.deliveryId = deliveryId
        self.sharesTransaction = sharesTransaction
        self.causationId = causationId
        self.logger = logger
        self.trace = trace
        if forwardFailureProbability > 0 { forwardStepShouldFail = Double.random(in: 0..<1) < forwardFailureProbability }
    }

    /// Emits an event for this delivery; it is published after the transaction commits.
    /// Returns the new event's id.
    @discardableResult
    public mutating func emit<Event: DomainEvent>(_ event: Event, occurredAt: Date = Date()) throws -> UUID {
        let id = UUID.random()
        let body = try EventCodec.encode(event, id: id, deliveryId: deliveryId, causationId: causationId, occurredAt: occurredAt)
        emitted.append(OutboxEvent(
            eventId: id, type: Event.eventType.rawValue, producer: Event.producer.rawValue, schemaVersion: Event.schemaVersion,
            deliveryId: deliveryId, causationId: causationId, body: body, trace: trace))
        return id
    }

    /// Schedules the named deadline for this delivery at `date` (once: a second request for the
    /// same name and delivery is ignored). When it comes due, the service's deadline handler of
    /// that name runs, in its own transaction.
    public mutating func scheduleDeadline(_ name: String, at date: Date, payload: JSONValue = .object([:])) {
        scheduled.append(DeadlineRequest(name: name, deliveryId: deliveryId, fireAt: date, payload: payload, trace: trace))
    }

    /// Schedules the named deadline at `date`, or moves a pending one of that name to `date` if
    /// that is later (a deadline that fired or was cancelled stays as it is).
    public mutating func postponeDeadline(_ name: String, to date: Date, payload: JSONValue = .object([:])) {
        scheduled.append(DeadlineRequest(name: name, deliveryId: deliveryId, fireAt: date, payload: payload, trace: trace, postponing: true))
    }

    /// Cancels the named deadline for this delivery if it has not fired.
    public mutating func cancelDeadline(_ name: String) {
        cancelled.append(name)
    }
}
