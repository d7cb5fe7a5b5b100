import Contracts
import Foundation
import Postgres
import SagaLoadMeasures

/// Reads back from history what a finished run needs: each saga's stage and the events that
/// may end it (outcomes and compensations), with when history recorded them.
enum HistoryReadback {
    /// The event types that decide when a saga ended.
    static let endTypes = SagaOutcomeRule.endingEvents.union(SagaOutcomeRule.compensations.values).map(\.rawValue)

    /// The run's sagas with their stage and end events (two queries for the whole run).
    static func sagas(_ submitted: [SubmittedSaga], _ db: PostgresConnection) async throws -> [LoadFigures.Saga] {
        let ids = submitted.map(\.id)
        var stages: [UUID: String] = [:]
        for row in try await db.query(
            "SELECT delivery_id, stage FROM history.delivery_status WHERE delivery_id = ANY($1)", [.uuidArray(ids)]) {
            stages[try row.decode(UUID.self, column: "delivery_id")] = try row.decode(String.self, column: "stage")
        }
        var events: [UUID: [SagaEnd.LoggedEvent]] = [:]
        for row in try await db.query("""
            SELECT delivery_id, event_type, recorded_at FROM history.events
            WHERE delivery_id = ANY($1) AND event_type = ANY($2)
            """, [.uuidArray(ids), .textArray(endTypes)]) {
            events[try row.decode(UUID.self, column: "delivery_id"), default: []].append(SagaEnd.LoggedEvent(
                type: EventType(try row.decode(String.self, column: "event_type")), recordedAt: try row.decode(Date.self, column: "recorded_at")))
        }
        return submitted.map { saga in
            LoadFigures.Saga(
                path: saga.path, stage: stages[saga.id], events: events[saga.id] ?? [], postedAt: saga.postedAt, seenEndedAt: saga.seenEndedAt)
        }
    }
}
