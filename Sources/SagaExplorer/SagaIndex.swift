package import Foundation
package import Postgres
package import SagaInspect

/// One row of the saga list.
package struct SagaListRow: Sendable, Hashable {
    /// The delivery.
    package var deliveryId: UUID
    /// history's stage.
    package var stage: String
    /// history's saga state.
    package var sagaState: String
    /// The owner, if known.
    package var ownerId: String?
    /// The failure reason code, if any.
    package var reasonCode: String?
    /// The latest event's type.
    package var lastEventType: String
    /// When the latest event occurred.
    package var updatedAt: Date
    /// The verdict: history's record for the fast list, ``SagaAnalysis``'s for `stuck` and `inconsistent`.
    package var verdict: SagaStatusFilter
    /// Whether ``verdict`` comes from the analysis (true) or from history's stored record (false).
    package var analysed: Bool
    /// The analysis's explanation, when analysed.
    package var detail: String?
    /// Where the next page starts if this row is the last.
    package var cursor: SagaListCursor

    /// A row from its fields.
    package init(
        deliveryId: UUID, stage: String, sagaState: String, ownerId: String? = nil, reasonCode: String? = nil, lastEventType: String,
        updatedAt: Date, verdict: SagaStatusFilter, analysed: Bool = false, detail: String? = nil, cursor: SagaListCursor
    ) {
        self.deliveryId = deliveryId
        self.stage = stage
        self.sagaState = sagaState
        self.ownerId = ownerId
        self.reasonCode = reasonCode
        self.lastEventType = lastEventType
        self.updatedAt = updatedAt
        self.verdict = verdict
        self.analysed = analysed
        self.detail = detail
        self.cursor = cursor
    }
}

/// A page of the saga list, with the counts per verdict over the same filter.
package struct SagaListPage: Sendable, Hashable {
    /// The rows, newest activity first.
    package var rows: [SagaListRow]
    /// Where the next page starts (nil: this is the last).
    package var next: SagaListCursor?
    /// Deliveries per recorded verdict under the filter's other conditions (not its verdict).
    package var counts: [SagaStatusFilter: Int]
    /// For `stuck` and `inconsistent`: how many sagas were analysed to find these rows.
    package var examined: Int?

    /// A page from its parts.
    package init(rows: [SagaListRow], next: SagaListCursor?, counts: [SagaStatusFilter: Int], examined: Int? = nil) {
        self.rows = rows
        self.next = next
        self.counts = counts
        self.examined = examined
    }
}

/// The saga list over `history.delivery_status`: a page newest activity first through the
/// `delivery_status_by_activity` index (history migration 0003), and the counts per verdict.
/// Filters on `stuck` and `inconsistent` analyse the sagas across every schema a chunk at a time
/// (``SagaAnalysis``), since history's record cannot tell them.
package struct SagaIndex: Sendable {
    /// The services' schemas.
    package var schemas: SagaSchemas
    /// How long without progress makes a saga stuck (for the analysed filters).
    package var stuckAfter: TimeInterval
    /// How many sagas a `stuck` or `inconsistent` page examines at most (each costs its share of
    /// a snapshot read across every schema).
    package var analysisBudget = 2_000

    /// An index over the given schemas.
    package init(schemas: SagaSchemas = SagaSchemas(), stuckAfter: TimeInterval = SagaAnalysis.defaultStuckAfter) {
        self.schemas = schemas
        self.stuckAfter = stuckAfter
    }

    /// The page the filter asks for, and the counts.
    package func page(_ filter: SagaListFilter, parked: [SagaParkedMessage] = [], database: PostgresConnection, now: Date = Date()) async throws -> SagaListPage {
        let counts = try await self.counts(filter, database: database)
        if let verdict = filter.verdict, filter.needsAnalysis {
            var page = try await search(verdict, filter, parked: parked, database: database, now: now)
            page.counts = counts
            return page
        }
        var page = try await rows(filter, after: filter.after, limit: filter.limit + 1, database: database)
        let more = page.count > filter.limit
        if more { page.removeLast() }
        if filter.analysePage { page = try await analysed(page, parked: parked, database: database, now: now) }
        return SagaListPage(rows: page, next: more ? page.last?.cursor : nil, counts: counts)
    }

    /// Up to `limit` rows under the filter (its verdict as history recorded it), newest activity
    /// first, after `after`: one scan of `delivery_status_by_activity`.
    func rows(_ filter: SagaListFilter, after: SagaListCursor?, limit: Int, database: PostgresConnection) async throws -> [SagaListRow] {
        let status = "\"\(try schemas.validated().history)\".delivery_status"
        let rows = try await database.query("""
            SELECT delivery_id, stage, saga_state, owner_id, reason_code, last_event_type, updated_at,
                   (EXTRACT(EPOCH FROM updated_at) * 1000000)::int8 AS micros
            FROM \(status)
            WHERE \(Self.conditions)
              AND ($8::int8 IS NULL OR (updated_at, delivery_id) < (timestamptz 'epoch' + $8 * interval '1 microsecond', $9::uuid))
            ORDER BY updated_at DESC, delivery_id DESC
            LIMIT $10
            """, parameters(filter) + [.int64(after?.micros), .uuid(after?.deliveryId), .int(limit)])
        return try rows.map { row in
            let id = try row.decode(UUID.self, column: "delivery_id")
            let stage = try row.decode(String.self, column: "stage")
            let sagaState = try row.decode(String.self, column: "saga_state")
            return SagaListRow(
                deliveryId: id, stage: stage, sagaState: sagaState, ownerId: try row.decode(String?.self, column: "owner_id"),
                reasonCode: try row.decode(String?.self, column: "reason_code"), lastEventType: try row.decode(String.self, column: "last_event_type"),
                updatedAt: try row.decode(Date.self, column: "updated_at"), verdict: .recorded(stage: stage, sagaState: sagaState),
                cursor: SagaListCursor(micros: try row.decode(Int64.self, column: "micros"), deliveryId: id))
        }
    }

    /// `stuck` and `inconsistent`, which only ``SagaAnalysis`` tells: the sagas under the other
    /// conditions, newest first from the filter's position, analysed ``chunk`` at a time until a
    /// page is found or ``analysisBudget`` sagas were examined; the next page continues after the
    /// last one examined.
    func search(_ verdict: SagaStatusFilter, _ filter: SagaListFilter, parked: [SagaParkedMessage], database: PostgresConnection, now: Date) async throws -> SagaListPage {
        var others = filter
        others.verdict = nil
        var found: [SagaListRow] = []
        var after = filter.after
        var examined = 0
        while examined < analysisBudget {
            let wanted = min(Self.chunk, analysisBudget - examined)
            let candidates = try await analysed(try await rows(others, after: after, limit: wanted, database: database), parked: parked, database: database, now: now)
            for row in candidates {
                examined += 1
                after = row.cursor
                if row.verdict == verdict { found.append(row) }
                if found.count == filter.limit { return SagaListPage(rows: found, next: after, counts: [:], examined: examined) }
            }
            if candidates.count < wanted { return SagaListPage(rows: found, next: nil, counts: [:], examined: examined) }
        }
        return SagaListPage(rows: found, next: after, counts: [:], examined: examined)
    }

    /// Sagas analysed per snapshot read when searching for stuck or inconsistent ones.
    static let chunk = 500

    /// Deliveries per recorded verdict, under every condition of the filter but its verdict.
    package func counts(_ filter: SagaListFilter, database: PostgresConnection) async throws -> [SagaStatusFilter: Int] {
        var unfiltered = filter
        unfiltered.verdict = nil
        let status = "\"\(try schemas.validated().history)\".delivery_status"
        var counts: [SagaStatusFilter: Int] = [:]
        for row in try await database.query("""
            SELECT stage, saga_state, count(*) AS deliveries FROM \(status) WHERE \(Self.conditions) GROUP BY stage, saga_state
            """, parameters(unfiltered)) {
            let verdict = SagaStatusFilter.recorded(stage: try row.decode(String.self, column: "stage"), sagaState: try row.decode(String.self, column: "saga_state"))
            counts[verdict, default: 0] += try row.decode(Int.self, column: "deliveries")
        }
        return counts
    }

    /// The filter's conditions on `delivery_status`, parameters $1 to $7 (see ``parameters(_:)``).
    static let conditions = """
        ($1::text[] IS NULL OR stage = ANY($1)) AND ($2::text[] IS NULL OR saga_state = ANY($2))
          AND ($3::text IS NULL OR stage = $3) AND ($4::text IS NULL OR owner_id = $4)
          AND ($5::timestamptz IS NULL OR updated_at >= $5)
          AND ($6::uuid IS NULL OR delivery_id = $6) AND ($7::text IS NULL OR delivery_id::text LIKE $7 || '%')
        """

    /// $1 to $7 of ``conditions``: a whole id is matched by equality (the primary key), a prefix by `LIKE`.
    func parameters(_ filter: SagaListFilter) -> [PostgresValue] {
        let wholeId = filter.search.flatMap(UUID.init(uuidString:))
        func texts(_ values: [String]?) -> PostgresValue { values.map(PostgresValue.textArray) ?? PostgresValue(dataType: .textArray, text: nil) }
        return [
            texts(filter.verdict?.recordedStages), texts(filter.verdict?.recordedSagaStates), .text(filter.stage), .text(filter.owner),
            .timestamp(filter.since), .uuid(wholeId), .text(wholeId == nil ? filter.search : nil),
        ]
    }

    /// The rows with ``SagaAnalysis``'s verdicts: the page's snapshots in one read (``SagaSnapshotLoader/loadMany``).
    private func analysed(_ rows: [SagaListRow], parked: [SagaParkedMessage], database: PostgresConnection, now: Date) async throws -> [SagaListRow] {
        let snapshots = try await SagaSnapshotLoader.loadMany(deliveryIds: rows.map(\.deliveryId), database: database, schemas: schemas, parked: parked)
        return rows.map { row in
            guard let snapshot = snapshots[row.deliveryId] else { return row }
            let report = SagaAnalysis.analyse(snapshot, now: now, stuckAfter: stuckAfter)
            var row = row
            row.verdict = SagaStatusFilter.allCases.first { $0.matches(report.verdict) } ?? row.verdict
            row.analysed = true
            row.detail = report.detail
            return row
        }
    }
}
