package import Foundation
package import Postgres
package import SagaInspect

/// What the stats page shows beyond ``SagaStats``: outcomes per hour and a duration histogram.
package struct ExplorerStats: Sendable {
    /// Counts, reasons and percentiles (``SagaListing/stats(since:)``).
    package var summary: SagaStats
    /// Deliveries per hour of latest activity and recorded verdict, oldest hour first.
    package var outcomesByHour: [(hour: Date, counts: [SagaStatusFilter: Int])]
    /// Ended sagas per duration bucket: the bucket's upper bound in seconds (nil: above the last).
    package var durationHistogram: [(upTo: Double?, sagas: Int)]
    /// Parked messages per service.
    package var parkedByService: [String: Int]

    /// The histogram's upper bounds in seconds.
    package static let durationBounds: [Double] = [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300]

    /// Statistics from their parts.
    package init(
        summary: SagaStats, outcomesByHour: [(hour: Date, counts: [SagaStatusFilter: Int])] = [], durationHistogram: [(upTo: Double?, sagas: Int)] = [],
        parkedByService: [String: Int] = [:]
    ) {
        self.summary = summary
        self.outcomesByHour = outcomesByHour
        self.durationHistogram = durationHistogram
        self.parkedByService = parkedByService
    }

    /// Reads everything for deliveries active since `since` (the last 48 hours of outcomes at most).
    package static func read(since: Date?, schemas: SagaSchemas = SagaSchemas(), parked: [SagaParkedMessage], database: PostgresConnection) async throws -> ExplorerStats {
        let summary = try await SagaListing(database: database, schemas: schemas).stats(since: since)
        let history = try schemas.validated().history
        var hours: [Date: [SagaStatusFilter: Int]] = [:]
        for row in try await database.query("""
            SELECT date_trunc('hour', updated_at) AS hour, stage, saga_state, count(*) AS deliveries
            FROM "\(history)".delivery_status
            WHERE updated_at >= greatest(coalesce($1::timestamptz, '-infinity'), clock_timestamp() - interval '48 hours')
            GROUP BY 1, 2, 3
            """, [.timestamp(since)]) {
            let verdict = SagaStatusFilter.recorded(stage: try row.decode(String.self, column: "stage"), sagaState: try row.decode(String.self, column: "saga_state"))
            hours[try row.decode(Date.self, column: "hour"), default: [:]][verdict, default: 0] += try row.decode(Int.self, column: "deliveries")
        }
        var histogram = Array(repeating: 0, count: durationBounds.count + 1)
        for row in try await database.query("""
            WITH ended AS (
                SELECT delivery_id FROM "\(history)".delivery_status
                WHERE saga_state IN ('completed', 'compensated', 'rejected') AND ($1::timestamptz IS NULL OR created_at >= $1)
            ), durations AS (
                SELECT EXTRACT(EPOCH FROM max(e.occurred_at) - min(e.occurred_at))::float8 AS seconds
                FROM "\(history)".events e JOIN ended USING (delivery_id) GROUP BY e.delivery_id
            )
            SELECT width_bucket(seconds, $2::float8[]) AS bucket, count(*) AS sagas FROM durations GROUP BY 1
            """, [.timestamp(since), PostgresValue(dataType: .textArray, text: "{" + durationBounds.map { String($0) }.joined(separator: ",") + "}")]) {
            let bucket = min(max(try row.decode(Int.self, column: "bucket"), 0), durationBounds.count)
            histogram[bucket] += try row.decode(Int.self, column: "sagas")
        }
        return ExplorerStats(
            summary: summary, outcomesByHour: hours.sorted { $0.key < $1.key }.map { ($0.key, $0.value) },
            durationHistogram: histogram.enumerated().map { bucket, sagas in (upTo: bucket < durationBounds.count ? durationBounds[bucket] : nil, sagas: sagas) },
            parkedByService: Dictionary(parked.map { ($0.service, 1) }, uniquingKeysWith: +))
    }
}
