import Foundation
import Postgres
import SagaInspect
import SagaScenarios

/// The invariants every schedule must keep, checked on the system's database when the saga has
/// ended: nothing held, every compensation once, each effect once, and the outcome that history
/// and saga-inspect show equal to what the owning services recorded.
enum SagaScheduleInvariants {
    /// History's stages that end a saga.
    static let terminalStages: Set<String> = ["Completed", "Cancelled", "Compensated", "Rejected"]

    /// Rows of the delivery still in flight inside a service: outbox rows and due deadlines.
    static let busySQL = """
        SELECT (SELECT count(*) FROM ingestion.outbox WHERE delivery_id = $1) + (SELECT count(*) FROM account.outbox WHERE delivery_id = $1)
             + (SELECT count(*) FROM package.outbox WHERE delivery_id = $1) + (SELECT count(*) FROM drone.outbox WHERE delivery_id = $1)
             + (SELECT count(*) FROM delivery.outbox WHERE delivery_id = $1) + (SELECT count(*) FROM history.outbox WHERE delivery_id = $1)
             + (SELECT count(*) FROM drone.deadlines WHERE delivery_id = $1 AND fired_at IS NULL AND cancelled_at IS NULL
                    AND parked_at IS NULL AND fire_at <= clock_timestamp())
             + (SELECT count(*) FROM delivery.deadlines WHERE delivery_id = $1 AND fired_at IS NULL AND cancelled_at IS NULL
                    AND parked_at IS NULL AND fire_at <= clock_timestamp())
        """

    /// The delivery's pending deadline due first, of either service that has deadlines.
    static let nextDeadlineSQL = """
        SELECT service, id, name FROM (
            SELECT 'drone' AS service, id, name, fire_at FROM drone.deadlines
            WHERE delivery_id = $1 AND fired_at IS NULL AND cancelled_at IS NULL AND parked_at IS NULL
            UNION ALL
            SELECT 'delivery', id, name, fire_at FROM delivery.deadlines
            WHERE delivery_id = $1 AND fired_at IS NULL AND cancelled_at IS NULL AND parked_at IS NULL
        ) AS pending ORDER BY fire_at LIMIT 1
        """

    /// Deadlines of the delivery that may still fire.
    static let pendingDeadlinesSQL = """
        SELECT (SELECT count(*) FROM drone.deadlines WHERE delivery_id = $1 AND fired_at IS NULL AND cancelled_at IS NULL AND parked_at IS NULL)
             + (SELECT count(*) FROM delivery.deadlines WHERE delivery_id = $1 AND fired_at IS NULL AND cancelled_at IS NULL AND parked_at IS NULL)
        """

    /// The stage history shows for the delivery (nil while history does not know it).
    static func stage(of id: UUID, _ database: PostgresConnection) async throws -> String? {
        try await database.query("SELECT stage FROM history.delivery_status WHERE delivery_id = $1", [.uuid(id)])
            .first?.decode(String.self, column: "stage")
    }

    /// Every invariant the ended saga breaks, in plain words.
    /// `cancelled`: the customer asked to cancel; `overdue`: the pickup was made overdue.
    static func check(
        deliveryId id: UUID, plan: SchedulePlan, cancelled: Bool, overdue: Bool, database: PostgresConnection
    ) async throws -> [String] {
        var broken: [String] = []
        func count(_ sql: String) async throws -> Int {
            try await database.query(sql, [.uuid(id)])[0].decode(Int.self, at: 0)
        }

        // Nothing allocated or active for an ended saga (a completed delivery's drone is back too).
        let held = try await count("SELECT count(*) FROM drone.allocations WHERE delivery_id = $1 AND state IN ('allocated', 'flying', 'delivered')")
        if held > 0 { broken.append("a drone allocation is still active (allocated, flying or delivered)") }
        if try await count("SELECT count(*) FROM drone.drones WHERE delivery_id = $1") > 0 {
            broken.append("a drone is still out of the pool for this delivery")
        }
        if try await count("SELECT count(*) FROM package.packages WHERE delivery_id = $1 AND state = 'active'") > 0 {
            broken.append("the package is still active")
        }

        // Each event type once per saga (one request, at most one cancellation), and the
        // compensations each failure needs, exactly once.
        var logged: [String: Int] = [:]
        for row in try await database.query(
            "SELECT event_type, count(*) AS n FROM history.events WHERE delivery_id = $1 GROUP BY event_type", [.uuid(id)]) {
            logged[try row.decode(String.self, column: "event_type")] = try row.decode(Int.self, column: "n")
        }
        for (type, times) in logged where times > 1 { broken.append("\(type) happened \(times) times") }
        if logged["delivery.requested"] != 1 { broken.append("the accepted request was not logged (lost)") }
        let stage = try await stage(of: id, database)
        let completed = logged["delivery.completed"] != nil
        if logged["package.created"] != nil {
            let expected = completed ? 0 : 1
            if logged["package.cancelled", default: 0] != expected {
                broken.append("package.cancelled \(logged["package.cancelled", default: 0]) times, expected \(expected)")
            }
        }
        if logged["drone.allocated"] != nil, logged["drone.released", default: 0] != 1 {
            broken.append("drone.released \(logged["drone.released", default: 0]) times after drone.allocated, expected once")
        }

        // The owner's daily usage: counted while the saga may still complete, given back (once)
        // when it failed or was cancelled.
        if let decision = try await database.query(
            "SELECT counted_day IS NOT NULL AS counted, given_back_at IS NOT NULL AS given_back FROM account.decisions WHERE delivery_id = $1",
            [.uuid(id)]).first {
            let counted = try decision.decode(Bool.self, column: "counted")
            let givenBack = try decision.decode(Bool.self, column: "given_back")
            if completed, givenBack { broken.append("the completed delivery's daily usage was given back") }
            if !completed, counted, !givenBack { broken.append("the daily usage of a delivery that did not complete was not given back") }
        }

        // The outcome: what the delivery service recorded, what history shows, what saga-inspect says.
        guard let stage, terminalStages.contains(stage) else {
            broken.append("history shows \(stage ?? "nothing") instead of an end")
            return broken
        }
        let recorded = try await database.query(
            "SELECT state, failure_code FROM delivery.deliveries WHERE delivery_id = $1", [.uuid(id)]).first
        let state = try recorded?.decode(String.self, column: "state")
        let failureCode = try recorded?.decode(String?.self, column: "failure_code")
        let agrees = switch stage {
        case "Completed": state == "completed"
        case "Cancelled": state == "cancelled"
        default: state == "failed" || state == nil
        }
        if !agrees { broken.append("history shows \(stage) but the delivery service recorded \(state ?? "nothing")") }
        var expected = plan.path.expectedStages
        if cancelled || overdue { expected.insert("Cancelled") }
        if failureCode == "JOIN_TIMED_OUT" { expected.insert("Compensated") }  // a legitimate end when branches are held long
        if !expected.contains(stage) { broken.append("ended \(stage); \(plan.path.rawValue)\(cancelled ? " with a cancellation" : "") may end \(expected.sorted())") }
        if stage == "Cancelled", !cancelled, !overdue { broken.append("cancelled although nobody asked and no pickup was overdue") }
        if failureCode == "PICKUP_OVERDUE", !overdue { broken.append("cancelled for an overdue pickup that was not overdue") }

        if let snapshot = try await SagaSnapshotLoader.load(deliveryId: id, database: database) {
            let verdict = SagaAnalysis.analyse(snapshot).verdict
            // History calls a rejection whose compensations ran Compensated; saga-inspect keeps its cause.
            let agreeing: [SagaVerdict] = switch stage {
            case "Completed": [.completed]
            case "Cancelled": [.cancelled]
            case "Rejected": [.rejected]
            default: [.compensated, .rejected]
            }
            if !agreeing.contains(verdict) { broken.append("saga-inspect says \(verdict) where history shows \(stage)") }
        } else {
            broken.append("saga-inspect finds nothing for the delivery")
        }
        return broken
    }
}
