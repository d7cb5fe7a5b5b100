package import Foundation
package import SagaInspect

/// What the saga list shows, read from the page's query string: a verdict, a stage, an owner, a
/// time window, a delivery id (or its first characters), and where the page starts.
package struct SagaListFilter: Sendable, Hashable {
    /// Only sagas of this verdict.
    package var verdict: SagaStatusFilter?
    /// Only sagas at this history stage (`Created`, `HeadedToPickup`, …).
    package var stage: String?
    /// Only this owner's sagas.
    package var owner: String?
    /// Only sagas active since (their latest event at or after).
    package var since: Date?
    /// What the user typed for `since` (shown back in the form).
    package var sinceText: String?
    /// A whole delivery id, or its first characters (hex digits and dashes).
    package var search: String?
    /// Continue after this row: its `updated_at` in microseconds since 1970, and its id.
    package var after: SagaListCursor?
    /// Rows per page.
    package var limit = 50
    /// Whether to check the page's rows against every schema (``SagaAnalysis``) instead of
    /// showing history's record: one snapshot query per schema for the whole page.
    package var analysePage = false

    /// The stages history records (the stage filter's choices).
    package static let stages = ["Created", "HeadedToPickup", "HeadedToDropoff", "Completed", "Cancelled", "Compensated", "Rejected"]

    /// No filter: the newest page of everything.
    package init() {}

    /// The filter a query string asks for; a value that is not one the form offers is an
    /// ``ExplorerInputError`` (the page answers 400).
    package static func parse(_ query: [String: String], now: Date = Date()) throws(ExplorerInputError) -> SagaListFilter {
        var filter = SagaListFilter()
        func value(_ name: String) -> String? {
            guard let text = query[name]?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
            return text
        }
        if let text = value("verdict") {
            guard let verdict = SagaStatusFilter(rawValue: text) else {
                throw ExplorerInputError("verdict must be one of \(SagaStatusFilter.allCases.map(\.rawValue).joined(separator: ", ")), not “\(text)”")
            }
            filter.verdict = verdict
        }
        if let text = value("stage") {
            guard stages.contains(text) else { throw ExplorerInputError("stage must be one of \(stages.joined(separator: ", ")), not “\(text)”") }
            filter.stage = text
        }
        filter.owner = value("owner")
        if let text = value("since") {
            guard let since = SagaTimeText.since(text, now: now) else {
                throw ExplorerInputError("since takes a duration back from now (90s, 30m, 1h, 2d) or an RFC 3339 time, not “\(text)”")
            }
            filter.since = since
            filter.sinceText = text
        }
        if let text = value("q")?.lowercased() {
            guard text.count <= 36, text.allSatisfy({ $0.isHexDigit || $0 == "-" }) else {
                throw ExplorerInputError("search takes a delivery id or its first characters (hex digits and dashes), not “\(text)”")
            }
            filter.search = text
        }
        if let text = value("after") {
            guard let cursor = SagaListCursor(text) else { throw ExplorerInputError("“\(text)” is not a page position") }
            filter.after = cursor
        }
        if let text = value("limit") {
            guard let limit = Int(text), (1...500).contains(limit) else { throw ExplorerInputError("limit must be 1 to 500, not “\(text)”") }
            filter.limit = limit
        }
        if let text = value("analyse") {
            guard text == "1" else { throw ExplorerInputError("analyse takes 1, not “\(text)”") }
            filter.analysePage = true
        }
        return filter
    }

    /// The query string that asks for this filter (without the page position unless `after` is given).
    package func queryItems(after cursor: SagaListCursor? = nil, verdict overriding: SagaStatusFilter?? = .none, analyse: Bool? = nil) -> [(String, String)] {
        var filter = self
        filter.analysePage = analyse ?? analysePage
        return filter.items(after: cursor, verdict: overriding ?? verdict)
    }

    /// The query items of this filter with the given verdict and page position.
    private func items(after cursor: SagaListCursor?, verdict: SagaStatusFilter?) -> [(String, String)] {
        var items: [(String, String)] = []
        if let verdict { items.append(("verdict", verdict.rawValue)) }
        if let stage { items.append(("stage", stage)) }
        if let owner { items.append(("owner", owner)) }
        if let sinceText { items.append(("since", sinceText)) }
        if let search { items.append(("q", search)) }
        if limit != 50 { items.append(("limit", String(limit))) }
        if analysePage { items.append(("analyse", "1")) }
        if let cursor { items.append(("after", cursor.text)) }
        return items
    }

    /// Whether the list can be answered from history's stored record alone (fast, indexed);
    /// `stuck` and `inconsistent` need ``SagaAnalysis`` over every schema.
    package var needsAnalysis: Bool { verdict == .stuck || verdict == .inconsistent }
}

/// Where a page of the list starts: just after the row with this activity time and id.
package struct SagaListCursor: Sendable, Hashable {
    /// `updated_at` in whole microseconds since 1970 (PostgreSQL's precision, exact).
    package var micros: Int64
    /// The row's delivery id.
    package var deliveryId: UUID

    /// A cursor from its parts.
    package init(micros: Int64, deliveryId: UUID) {
        self.micros = micros
        self.deliveryId = deliveryId
    }

    /// Reads `<micros>_<uuid>`.
    package init?(_ text: String) {
        let parts = text.split(separator: "_")
        guard parts.count == 2, let micros = Int64(parts[0]), let id = UUID(uuidString: String(parts[1])) else { return nil }
        self.init(micros: micros, deliveryId: id)
    }

    /// `<micros>_<uuid>`.
    package var text: String { "\(micros)_\(deliveryId.uuidString.lowercased())" }
}

/// Input the explorer refuses (a 400 page says why).
package struct ExplorerInputError: Error, Sendable, CustomStringConvertible {
    /// What was wrong, in plain words.
    package var description: String

    /// An error with its explanation.
    package init(_ description: String) { self.description = description }
}
