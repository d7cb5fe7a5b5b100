public import Foundation
public import Postgres

/// The service's durable deadlines, for handlers that must coordinate with them.
public enum Deadlines {
    /// Locks the delivery's deadlines named `names` that have not fired or been cancelled,
    /// waiting for one that is firing right now; until the transaction ends none of them can
    /// fire. A handler that undoes what such a deadline's handler would act on (releasing a drone
    /// mid-flight) takes this before its own rows, in the order the deadline scheduler takes its
    /// locks (deadline row, then the handler's rows), so the two never deadlock.
    public static func lockPending(named names: [String], for deliveryId: UUID, _ db: isolated PostgresConnection) throws {
        _ = try db.query(lockPendingSQL, [.uuid(deliveryId), .textArray(names)])
    }

    /// `lockPending`, sent with the transaction's next statement instead of on its own (no round
    /// trip of its own; the lock is still taken before that statement's).
    public static func lockPendingDeferred(named names: [String], for deliveryId: UUID, _ db: isolated PostgresConnection) throws {
        try db.executeDeferred(lockPendingSQL, [.uuid(deliveryId), .textArray(names)])
    }

    /// A condition, always true, for a statement that locks its own rows (`FOR UPDATE`): it
    /// locks the delivery's pending deadlines named in parameter `$names` (of the delivery in
    /// parameter `$delivery`) as ``lockPending`` does, once, before the statement reads any row
    /// (PostgreSQL evaluates it as a one-time filter), so one statement takes both in the
    /// deadline scheduler's order. Rows the statement locks after waiting are read as committed
    /// by then; what it reads without locking is not (its snapshot is older).
    public static func lockingPendingFirst(delivery: Int, names: Int) -> String {
        "(SELECT count(*) FROM (\(pendingSQL(delivery: "$\(delivery)", names: "$\(names)"))) AS pending) >= 0"
    }

    private static let lockPendingSQL = pendingSQL(delivery: "$1", names: "$2")

    private static func pendingSQL(delivery: String, names: String) -> String {
        """
        SELECT id FROM deadlines
        WHERE delivery_id = \(delivery) AND name = ANY(\(names)) AND fired_at IS NULL AND cancelled_at IS NULL AND parked_at IS NULL
        ORDER BY id FOR UPDATE
        """
    }
}
