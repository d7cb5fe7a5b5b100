package import Foundation
package import Logging
package import Postgres

/// The runtime's unit of work, the same for a consumed event, a fired deadline and an HTTP
/// command: inside the open transaction, run the work with a fresh ``HandlerContext``, apply the
/// deadlines it scheduled or cancelled, and record what it emitted in the outbox — together with
/// the consumed event in the inbox when there is one — in a statement sent with the COMMIT.
package enum UnitOfWork {
    /// What a unit of work left behind.
    struct Done<Value: Sendable>: Sendable {
        /// What the work returned.
        let value: Value
        /// Its outbox rows, readable once the transaction committed.
        let outbox: PendingOutboxRows
        /// The soonest deadline it scheduled, if any.
        let soonestDeadline: Date?
        /// Whether the consumed event is left for the caller to record in the inbox (see `inboxLater`).
        var inboxLeft = false
    }

    /// Runs `work` for `deliveryId` in the open transaction on `db`; `consumed` is the event being
    /// handled (recorded in the inbox; a duplicate then fails the COMMIT), nil for a deadline or a command.
    /// With `inboxLater`, a consumed event whose work emitted nothing is not recorded here but
    /// left to the caller (`Done.inboxLeft`), which records several in one statement
    /// (``RuntimeTables/recordHandled(_:_:)``) before the same COMMIT.
    static func run<Value: Sendable>(
        deliveryId: UUID, causationId: UUID?, logger: Logger, forwardFailureProbability: Double = 0,
        consumed: ReceivedEvent? = nil, trace: TraceCarrier? = nil, sharesTransaction: Bool = false, inboxLater: Bool = false,
        _ db: isolated PostgresConnection, _ work: (inout HandlerContext) throws -> Value
    ) throws -> Done<Value> {
        var context = HandlerContext(
            deliveryId: deliveryId, causationId: causationId, logger: logger, forwardFailureProbability: forwardFailureProbability,
            trace: trace, sharesTransaction: sharesTransaction)
        let value = try work(&context)
        try RuntimeTables.applyDeadlines(context, db)
        if consumed != nil, inboxLater, context.emitted.isEmpty {
            return Done(
                value: value, outbox: .nothing, soonestDeadline: context.scheduled.map(\.fireAt).min(), inboxLeft: true)
        }
        let outbox = if let consumed {
            try RuntimeTables.recordHandled(consumed, traceId: trace?.traceId, emitting: context.emitted, db)
        } else {
            try RuntimeTables.recordEmitted(context.emitted, db)
        }
        return Done(value: value, outbox: outbox, soonestDeadline: context.scheduled.map(\.fireAt).min())
    }
}

extension UnitOfWork {
    /// An HTTP command's unit of work (`ServiceHTTP`'s `ServiceDatabase`): ``run(deliveryId:causationId:logger:forwardFailureProbability:consumed:_:_:)``
    /// with nothing consumed; returns the work's value and its outbox rows, readable once the transaction committed.
    package static func runCommand<Value: Sendable>(
        deliveryId: UUID, causationId: UUID?, logger: Logger, trace: TraceCarrier?, _ db: isolated PostgresConnection,
        _ work: (inout HandlerContext) throws -> Value
    ) throws -> (value: Value, outbox: PendingOutboxRows) {
        let done = try run(deliveryId: deliveryId, causationId: causationId, logger: logger, trace: trace, db, work)
        return (done.value, done.outbox)
    }
}
