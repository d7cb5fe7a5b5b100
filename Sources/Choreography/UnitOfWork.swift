package import Foundation
package import Logging
package import Postgres

/// The runtime's unit of work, the same for a consumed event, a fired deadline and an HTTP
/// command: inside the open transaction, run the work with a fresh ``HandlerContext`` and apply
/// the deadlines it scheduled or cancelled. What it emitted is left to the caller, which records
/// it in the outbox — with the consumed events in the inbox, or the fired deadlines marked — in
/// one statement sent with the COMMIT for all the units sharing the transaction (see
/// ``RuntimeTables``).
package enum UnitOfWork {
    /// What a unit of work left behind.
    struct Done<Value: Sendable>: Sendable {
        /// What the work returned.
        let value: Value
        /// The events it emitted, not yet in the outbox.
        let emitted: [OutboxEvent]
        /// The soonest deadline it scheduled, if any.
        let soonestDeadline: Date?
    }

    /// Runs `work` for `deliveryId` in the open transaction on `db`; `causationId` is the
    /// consumed event's or the deadline's cause.
    static func run<Value: Sendable>(
        deliveryId: UUID, causationId: UUID?, logger: Logger, forwardFailureProbability: Double = 0,
        trace: TraceCarrier? = nil, sharesTransaction: Bool = false,
        _ db: isolated PostgresConnection, _ work: (inout HandlerContext) throws -> Value
    ) throws -> Done<Value> {
        var context = HandlerContext(
            deliveryId: deliveryId, causationId: causationId, logger: logger, forwardFailureProbability: forwardFailureProbability,
            trace: trace, sharesTransaction: sharesTransaction)
        let value = try work(&context)
        try RuntimeTables.applyDeadlines(context, db)
        return Done(value: value, emitted: context.emitted, soonestDeadline: context.scheduled.map(\.fireAt).min())
    }
}

extension UnitOfWork {
    /// An HTTP command's unit of work (`ServiceHTTP`'s `ServiceDatabase`): ``run(deliveryId:causationId:logger:forwardFailureProbability:trace:sharesTransaction:_:_:)``
    /// with its emitted events inserted in the outbox; returns the work's value and its outbox rows, readable once the transaction committed.
    package static func runCommand<Value: Sendable>(
        deliveryId: UUID, causationId: UUID?, logger: Logger, trace: TraceCarrier?, _ db: isolated PostgresConnection,
        _ work: (inout HandlerContext) throws -> Value
    ) throws -> (value: Value, outbox: PendingOutboxRows) {
        let done = try run(deliveryId: deliveryId, causationId: causationId, logger: logger, trace: trace, db, work)
        return (done.value, try RuntimeTables.recordEmitted(done.emitted, db))
    }
}
