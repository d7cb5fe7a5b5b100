package import Contracts

/// How an ending event would end the saga, kept until a more deciding one is logged.
package struct SagaEnding: Sendable, Hashable {
    /// The ending event's type, ranked by `SagaOutcomeRule`.
    package var type: EventType
    /// The ending event's position.
    package var position: LogPosition
    /// The stage it leads to.
    package var stage: DeliveryStage
    /// The saga state it leads to.
    package var sagaState: SagaState
    /// Its reason.
    package var reason: StatusReason

    /// An ending from its parts.
    package init(type: EventType, position: LogPosition, stage: DeliveryStage, sagaState: SagaState, reason: StatusReason) {
        self.type = type
        self.position = position
        self.stage = stage
        self.sagaState = sagaState
        self.reason = reason
    }

    /// The one that decides, of two either of which may be absent: by `SagaOutcomeRule`, and of
    /// two events of the same rank the earlier in the log.
    static func deciding(_ lhs: SagaEnding?, _ rhs: SagaEnding?) -> SagaEnding? {
        guard let lhs, let rhs else { return lhs ?? rhs }
        return SagaOutcomeRule.deciding(rhs.position < lhs.position ? [rhs, lhs] : [lhs, rhs], type: \.type)
    }
}
