package import Contracts
package import Foundation
package import Postgres

/// Which deliveries `saga-inspect list --status` shows, by their verdict.
package enum SagaStatusFilter: String, CaseIterable, Sendable {
    /// ``SagaVerdict/stuck(reason:)``.
    case stuck
    /// ``SagaVerdict/inFlight(waitingOn:for:)``.
    case inflight
    /// ``SagaVerdict/completed``.
    case completed
    /// ``SagaVerdict/compensated``.
    case compensated
    /// ``SagaVerdict/rejected``.
    case rejected
    /// ``SagaVerdict/cancelled``.
    case cancelled
    /// ``SagaVerdict/inconsistent(missing:)``.
    case inconsistent

    /// Whether a verdict passes the filter.
    package func matches(_ verdict: SagaVerdict) -> Bool {
        switch (self, verdict) {
        case (.stuck, .stuck), (.inflight, .inFlight), (.completed, .completed), (.compensated, .compensated),
             (.rejected, .rejected), (.cancelled, .cancelled), (.inconsistent, .inconsistent):
            true
        default:
            false
        }
    }

    /// The history service's `saga_state` values a matching delivery can have (a cheap SQL
    /// pre-filter); `nil` when any can (a stuck or inconsistent saga can look like anything there).
    var historyStates: [String]? {
        switch self {
        case .completed: ["completed"]
        case .compensated, .rejected, .cancelled: ["compensated", "rejected"]
        case .inflight: ["inFlight", "stuck"]
        case .stuck, .inconsistent: nil
        }
    }
}

extension SagaStatusFilter {
    /// The verdict class history's stored record (`delivery_status.stage`, `saga_state`) gives a
    /// delivery before any analysis: what the explorer's list shows and filters on without reading
    /// the other five schemas. `inconsistent` is never recorded: only ``SagaAnalysis`` finds it.
    package static func recorded(stage: String, sagaState: String) -> SagaStatusFilter {
        switch stage {
        case "Completed": .completed
        case "Cancelled": .cancelled
        case "Rejected": .rejected
        case "Compensated": .compensated
        default: sagaState == "stuck" ? .stuck : .inflight
        }
    }

    /// The stored stages a delivery recorded in this class has (nil: any stage; see ``recordedSagaStates``).
    package var recordedStages: [String]? {
        switch self {
        case .completed: ["Completed"]
        case .cancelled: ["Cancelled"]
        case .rejected: ["Rejected"]
        case .compensated: ["Compensated"]
        case .inflight, .stuck: ["Created", "HeadedToPickup", "HeadedToDropoff"]
        case .inconsistent: []
        }
    }

    /// The stored saga states a delivery recorded in this class has (nil: any state).
    package var recordedSagaStates: [String]? {
        switch self {
        case .inflight: ["inFlight"]
        case .stuck: ["stuck"]
        default: nil
        }
    }

    /// The label people read: `in flight` for `inflight`, the raw value otherwise.
    package var label: String { self == .inflight ? "in flight" : rawValue }
}

/// Many sagas at once: a listing over `history.delivery_status` with each delivery's verdict, and
/// statistics. Snapshots are loaded a page at a time (``SagaSnapshotLoader/loadMany``), so a
/// verdict per listed delivery costs the same queries as one trace.
package struct SagaListing: Sendable {
    /// The connection (any role that may read the six schemas).
    package var database: PostgresConnection
    /// The services' schemas.
    package var schemas: SagaSchemas
    /// Every parked message (from ``SagaParkedMessageReader``).
    package var parked: [SagaParkedMessage]
    /// Warnings to add to every snapshot (e.g. the broker was not checked).
    package var extraWarnings: [String]
    /// How long without progress makes a saga stuck.
    package var stuckAfter: TimeInterval

    /// A listing over a database.
    package init(
        database: PostgresConnection, schemas: SagaSchemas = SagaSchemas(), parked: [SagaParkedMessage] = [], extraWarnings: [String] = [],
        stuckAfter: TimeInterval = SagaAnalysis.defaultStuckAfter
    ) {
        self.database = database
        self.schemas = schemas
        self.parked = parked
        self.extraWarnings = extraWarnings
        self.stuckAfter = stuckAfter
    }

    /// One listed delivery: the history service's view and saga-inspect's verdict.
    package struct Entry: Sendable, Hashable {
        /// The delivery.
        package var deliveryId: UUID
        /// history's stage (`Created`, `HeadedToPickup`, …).
        package var stage: String
        /// history's saga state (`inFlight`, `completed`, …).
        package var sagaState: String
        /// The owner, if known.
        package var ownerId: String?
        /// The drone, if known.
        package var droneId: String?
        /// The failure or refusal reason code, if any.
        package var reasonCode: String?
        /// The latest event's type.
        package var lastEventType: String
        /// When history first saw the delivery.
        package var createdAt: Date
        /// When its latest event occurred.
        package var updatedAt: Date
        /// saga-inspect's verdict.
        package var verdict: SagaVerdict
        /// The verdict's explanation.
        package var detail: String

        /// An entry from its fields.
        package init(
            deliveryId: UUID, stage: String, sagaState: String, ownerId: String? = nil, droneId: String? = nil, reasonCode: String? = nil,
            lastEventType: String, createdAt: Date, updatedAt: Date, verdict: SagaVerdict, detail: String
        ) {
            self.deliveryId = deliveryId
            self.stage = stage
            self.sagaState = sagaState
            self.ownerId = ownerId
            self.droneId = droneId
            self.reasonCode = reasonCode
            self.lastEventType = lastEventType
            self.createdAt = createdAt
            self.updatedAt = updatedAt
            self.verdict = verdict
            self.detail = detail
        }
    }

    /// Deliveries created since `since` (newest activity first), at most `limit`, whose verdict
    /// passes `status` (all when nil).
    package func list(status: SagaStatusFilter? = nil, since: Date? = nil, limit: Int = 50, now: Date = Date()) async throws -> [Entry] {
        let schemas = try schemas.validated()
        try await requireStatusTable(schemas)
        let pageSize = status == nil ? max(1, min(limit, 500)) : 500
        var entries: [Entry] = []
        var after: (Date, UUID)?
        while entries.count < limit {
            let rows = try await database.query("""
                SELECT delivery_id, stage, saga_state, owner_id, drone_id, reason_code, last_event_type, created_at, updated_at
                FROM "\(schemas.history)".delivery_status
                WHERE ($1::timestamptz IS NULL OR created_at >= $1)
                  AND ($2::text[] IS NULL OR saga_state = ANY($2))
                  AND ($3::timestamptz IS NULL OR (updated_at, delivery_id) < ($3, $4))
                ORDER BY updated_at DESC, delivery_id DESC
                LIMIT $5
                """, [
                    .timestamp(since), status?.historyStates.map(PostgresValue.textArray) ?? PostgresValue(dataType: .textArray, text: nil),
                    .timestamp(after?.0), .uuid(after?.1), .int(pageSize),
                ])
            let page = try rows.map { row in
                (id: try row.decode(UUID.self, column: "delivery_id"), stage: try row.decode(String.self, column: "stage"),
                 sagaState: try row.decode(String.self, column: "saga_state"), ownerId: try row.decode(String?.self, column: "owner_id"),
                 droneId: try row.decode(String?.self, column: "drone_id"), reasonCode: try row.decode(String?.self, column: "reason_code"),
                 lastEventType: try row.decode(String.self, column: "last_event_type"),
                 createdAt: try row.decode(Date.self, column: "created_at"), updatedAt: try row.decode(Date.self, column: "updated_at"))
            }
            let snapshots = try await SagaSnapshotLoader.loadMany(
                deliveryIds: page.map(\.id), database: database, schemas: schemas, parked: parked, extraWarnings: extraWarnings)
            for row in page where entries.count < limit {
                guard let snapshot = snapshots[row.id] else { continue }
                let report = SagaAnalysis.analyse(snapshot, now: now, stuckAfter: stuckAfter)
                guard status?.matches(report.verdict) ?? true else { continue }
                entries.append(Entry(
                    deliveryId: row.id, stage: row.stage, sagaState: row.sagaState, ownerId: row.ownerId, droneId: row.droneId,
                    reasonCode: row.reasonCode, lastEventType: row.lastEventType, createdAt: row.createdAt, updatedAt: row.updatedAt,
                    verdict: report.verdict, detail: report.detail))
            }
            guard page.count == pageSize, let last = page.last else { break }
            after = (last.updatedAt, last.id)
        }
        return entries
    }

    /// Counts per stage, saga state and failure reason, and saga durations, for deliveries
    /// created since `since` (all when nil).
    package func stats(since: Date? = nil) async throws -> SagaStats {
        let schemas = try schemas.validated()
        try await requireStatusTable(schemas)
        let status = "\"\(schemas.history)\".delivery_status"
        var stats = SagaStats(since: since)
        for row in try await database.query("""
            SELECT stage, saga_state, count(*) AS deliveries FROM \(status)
            WHERE $1::timestamptz IS NULL OR created_at >= $1 GROUP BY stage, saga_state
            """, [.timestamp(since)]) {
            let count = try row.decode(Int.self, column: "deliveries")
            stats.total += count
            stats.byStage[try row.decode(String.self, column: "stage"), default: 0] += count
            stats.bySagaState[try row.decode(String.self, column: "saga_state"), default: 0] += count
        }
        for row in try await database.query("""
            SELECT reason_code, count(*) AS deliveries FROM \(status)
            WHERE ($1::timestamptz IS NULL OR created_at >= $1) AND saga_state IN ('compensated', 'rejected') AND reason_code IS NOT NULL
            GROUP BY reason_code
            """, [.timestamp(since)]) {
            stats.byReasonCode[try row.decode(String.self, column: "reason_code")] = try row.decode(Int.self, column: "deliveries")
        }
        let durations = try await database.query("""
            WITH ended AS (
                SELECT delivery_id FROM \(status)
                WHERE saga_state IN ('completed', 'compensated', 'rejected') AND ($1::timestamptz IS NULL OR created_at >= $1)
            ), durations AS (
                SELECT EXTRACT(EPOCH FROM max(e.occurred_at) - min(e.occurred_at))::float8 AS seconds
                FROM "\(schemas.history)".events e JOIN ended USING (delivery_id) GROUP BY e.delivery_id
            )
            SELECT count(*) AS sagas, percentile_cont(0.5) WITHIN GROUP (ORDER BY seconds) AS p50,
                   percentile_cont(0.99) WITHIN GROUP (ORDER BY seconds) AS p99, max(seconds) AS longest
            FROM durations
            """, [.timestamp(since)])
        if let row = durations.first {
            stats.endedSagas = try row.decode(Int.self, column: "sagas")
            stats.p50Seconds = try row.decode(Double?.self, column: "p50")
            stats.p99Seconds = try row.decode(Double?.self, column: "p99")
            stats.maxSeconds = try row.decode(Double?.self, column: "longest")
        }
        return stats
    }

    private func requireStatusTable(_ schemas: SagaSchemas) async throws {
        let rows = try await database.query(
            "SELECT to_regclass($1) IS NOT NULL AS present, to_regclass($2) IS NOT NULL AS logged",
            [.text("\"\(schemas.history)\".delivery_status"), .text("\"\(schemas.history)\".events")])
        guard let row = rows.first, try row.decode(Bool.self, column: "present"), try row.decode(Bool.self, column: "logged") else {
            throw SagaInspectError(.notMigrated, "\(schemas.history).delivery_status or \(schemas.history).events does not exist (is the history service migrated?)")
        }
    }
}

/// Saga counts and durations (`saga-inspect stats`).
package struct SagaStats: Sendable, Hashable {
    /// The window's start (nil: all time).
    package var since: Date?
    /// Deliveries in the window.
    package var total = 0
    /// Deliveries per history stage.
    package var byStage: [String: Int] = [:]
    /// Deliveries per history saga state.
    package var bySagaState: [String: Int] = [:]
    /// Failed deliveries per reason code.
    package var byReasonCode: [String: Int] = [:]
    /// Ended sagas (completed, compensated, rejected) the durations are computed over.
    package var endedSagas = 0
    /// Median duration, first event to last, of ended sagas.
    package var p50Seconds: Double?
    /// 99th percentile duration of ended sagas.
    package var p99Seconds: Double?
    /// Longest duration of ended sagas.
    package var maxSeconds: Double?

    /// Empty statistics for a window.
    package init(since: Date? = nil) {
        self.since = since
    }
}

/// Text and JSON for `saga-inspect list` and `saga-inspect stats`.
package enum SagaListingRenderer {
    /// One line per delivery: id, verdict, history's stage, last event, age, detail.
    package static func text(_ entries: [SagaListing.Entry], now: Date = Date()) -> String {
        guard !entries.isEmpty else { return "no deliveries match\n" }
        var lines = entries.map { entry in
            let age = SagaTimeText.duration(max(0, now.timeIntervalSince(entry.updatedAt)))
            return "\(entry.deliveryId.uuidString.lowercased())  \(pad(entry.verdict.state, 12))  \(pad(entry.stage, 15))  "
                + "\(pad(entry.lastEventType, 28))  \(pad(age + " ago", 10))  \(entry.detail)"
        }
        lines.append("\(entries.count) deliver\(entries.count == 1 ? "y" : "ies")")
        return lines.joined(separator: "\n") + "\n"
    }

    /// The entries as a JSON array of `{deliveryId, verdict: {state, detail, missing}, stage, sagaState,
    /// ownerId, droneId, reasonCode, lastEventType, createdAt, updatedAt}`.
    package static func json(_ entries: [SagaListing.Entry]) -> JSONValue {
        .array(entries.map { entry in
            .object([
                "deliveryId": SagaJSONRenderer.id(entry.deliveryId),
                "verdict": .object([
                    "state": .string(entry.verdict.state), "detail": .string(entry.detail),
                    "missing": .array(entry.verdict.missing.map(JSONValue.string)),
                ]),
                "stage": .string(entry.stage), "sagaState": .string(entry.sagaState),
                "ownerId": entry.ownerId.map(JSONValue.string) ?? .null, "droneId": entry.droneId.map(JSONValue.string) ?? .null,
                "reasonCode": entry.reasonCode.map(JSONValue.string) ?? .null, "lastEventType": .string(entry.lastEventType),
                "createdAt": SagaJSONRenderer.date(entry.createdAt), "updatedAt": SagaJSONRenderer.date(entry.updatedAt),
            ])
        })
    }

    /// Statistics as text.
    package static func text(_ stats: SagaStats) -> String {
        var lines = ["deliveries: \(stats.total)" + (stats.since.map { " since \(RFC3339.string(from: $0))" } ?? "")]
        func section(_ title: String, _ counts: [String: Int]) {
            guard !counts.isEmpty else { return }
            lines.append("\(title):")
            for (key, count) in counts.sorted(by: { ($1.value, $0.key) < ($0.value, $1.key) }) {
                lines.append("  \(pad(key, 28)) \(count)")
            }
        }
        section("by saga state", stats.bySagaState)
        section("by stage", stats.byStage)
        section("failures by reason code", stats.byReasonCode)
        if let p50 = stats.p50Seconds, let p99 = stats.p99Seconds, let longest = stats.maxSeconds {
            lines.append(String(format: "saga duration (first to last event, %d ended sagas): p50 %.3fs, p99 %.3fs, max %.3fs", stats.endedSagas, p50, p99, longest))
        } else {
            lines.append("saga duration: no ended sagas")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Statistics as `{since, total, bySagaState, byStage, byReasonCode, duration: {endedSagas, p50Seconds, p99Seconds, maxSeconds}}`.
    package static func json(_ stats: SagaStats) -> JSONValue {
        func counts(_ values: [String: Int]) -> JSONValue { .object(values.mapValues { .number(Double($0)) }) }
        func number(_ value: Double?) -> JSONValue { value.map(JSONValue.number) ?? .null }
        return .object([
            "since": stats.since.map(SagaJSONRenderer.date) ?? .null, "total": .number(Double(stats.total)),
            "bySagaState": counts(stats.bySagaState), "byStage": counts(stats.byStage), "byReasonCode": counts(stats.byReasonCode),
            "duration": .object([
                "endedSagas": .number(Double(stats.endedSagas)), "p50Seconds": number(stats.p50Seconds),
                "p99Seconds": number(stats.p99Seconds), "maxSeconds": number(stats.maxSeconds),
            ]),
        ])
    }

    private static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }
}
