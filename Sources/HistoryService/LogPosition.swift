package import Contracts
package import Foundation
import UUIDText

/// Where an event sits in the order the status projection reads a delivery's events: by
/// `occurredAt`, then by event id (as upper-case text), so ties between clocks break the same way everywhere.
package struct LogPosition: Sendable, Hashable, Comparable {
    /// When the event occurred.
    package var occurredAt: Date
    /// The event's id.
    package var eventId: UUID

    /// A position from its parts.
    package init(occurredAt: Date, eventId: UUID) {
        self.occurredAt = occurredAt
        self.eventId = eventId
    }

    /// The position of `event`.
    package init(of event: AnyEventEnvelope) {
        self.init(occurredAt: event.occurredAt, eventId: event.id)
    }

    /// Orders by `occurredAt`, then by event id.
    package static func < (lhs: LogPosition, rhs: LogPosition) -> Bool {
        if lhs.occurredAt != rhs.occurredAt { return lhs.occurredAt < rhs.occurredAt }
        return lhs.eventId.uppercaseText < rhs.eventId.uppercaseText
    }

    /// The earlier of two positions, either of which may be absent.
    static func earliest(_ lhs: LogPosition?, _ rhs: LogPosition?) -> LogPosition? {
        guard let lhs, let rhs else { return lhs ?? rhs }
        return min(lhs, rhs)
    }
}

/// A value an event set, with that event's position: of two, the later event's value stands.
package struct Latest<Value: Sendable & Hashable>: Sendable, Hashable {
    /// The position of the event that set it.
    package var position: LogPosition
    /// The value.
    package var value: Value

    /// A value set at `position`.
    package init(_ value: Value, at position: LogPosition) {
        self.position = position
        self.value = value
    }

    /// The later of two, either of which may be absent.
    static func later(_ lhs: Latest?, _ rhs: Latest?) -> Latest? {
        guard let lhs, let rhs else { return lhs ?? rhs }
        return rhs.position > lhs.position ? rhs : lhs
    }
}
