package import Contracts
package import Foundation

/// When a saga ended, by history's log: once it has an outcome (``SagaOutcomeRule/endingEvents``)
/// and every compensation that outcome needs (``SagaOutcomeRule/compensationsNeeded(_:)``) is logged.
package enum SagaEnd {
    /// One event of history's log: its type and when history recorded it.
    package struct LoggedEvent: Sendable, Hashable {
        /// The event type.
        package var type: EventType
        /// History's `recorded_at`.
        package var recordedAt: Date

        /// A logged event.
        package init(type: EventType, recordedAt: Date) {
            self.type = type
            self.recordedAt = recordedAt
        }
    }

    /// Whether a saga whose history stage is terminal has also logged every compensation it needs.
    package static func compensationsLogged(_ types: Set<EventType>) -> Bool {
        SagaOutcomeRule.compensationsOwed(types).isEmpty
    }

    /// When the saga whose logged events are `events` ended: when its first outcome event was
    /// recorded, or when the last compensation it needs was, whichever is later; `nil` while it
    /// has no outcome or owes a compensation.
    package static func endedAt(_ events: [LoggedEvent]) -> Date? {
        let types = Set(events.map(\.type))
        guard let outcome = events.filter({ SagaOutcomeRule.endingEvents.contains($0.type) }).map(\.recordedAt).min(),
              compensationsLogged(types)
        else { return nil }
        let compensations = SagaOutcomeRule.compensationsNeeded(types).compactMap { needed in
            events.filter { $0.type == needed }.map(\.recordedAt).min()
        }
        return ([outcome] + compensations).max()
    }
}
