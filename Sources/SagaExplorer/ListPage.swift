import Contracts
package import Foundation
import SagaInspect

/// The saga list (`/`): counts per verdict, the filter form, a page of sagas and the link to the next.
package enum ListPage {
    /// The page for a filter and what the index found.
    package static func render(_ page: SagaListPage, filter: SagaListFilter, now: Date = Date()) -> String {
        var body = "<h1>Sagas</h1>"
        body += counts(page.counts, filter: filter)
        body += form(filter)
        if let verdict = filter.verdict, filter.needsAnalysis {
            body += "<p class=\"note\" id=\"verdict-source\">\(HTML.escape(verdict.label.capitalized)) sagas are found by analysing each saga across every service, "
                + "newest first: \(page.examined ?? 0) examined for this page, \(page.rows.count) found"
                + (page.next == nil ? ", none left to examine.</p>" : "; the next page examines further.</p>")
        } else if filter.analysePage {
            body += "<p class=\"note\" id=\"verdict-source\">Verdicts on this page are the analysis across every service. "
                + "<a href=\"/\(HTML.escape(HTML.query(filter.queryItems(after: filter.after, analyse: false))))\">Show history's record instead</a> (faster).</p>"
        } else {
            body += "<p class=\"note\" id=\"verdict-source\">Verdicts in this list are history's record; a saga's page shows the analysis across every service, "
                + "which also finds inconsistent and stuck sagas. <a id=\"analyse-page\" href=\"/\(HTML.escape(HTML.query(filter.queryItems(after: filter.after, analyse: true))))\">Check this page's sagas against every service</a>.</p>"
        }
        if page.rows.isEmpty {
            body += "<p id=\"no-sagas\">No sagas match.</p>"
        } else {
            body += "<table id=\"sagas\"><thead><tr><th scope=\"col\">Delivery</th><th scope=\"col\">Verdict</th><th scope=\"col\">Stage</th>"
            body += "<th scope=\"col\">Owner</th><th scope=\"col\">Last event</th><th scope=\"col\">Reason</th><th scope=\"col\">Latest activity</th></tr></thead><tbody>"
            for row in page.rows {
                let id = row.deliveryId.uuidString.lowercased()
                body += "<tr data-delivery-id=\"\(id)\" data-verdict=\"\(row.verdict.rawValue)\" data-analysed=\"\(row.analysed)\">"
                body += "<td><a class=\"id\" href=\"/sagas/\(id)\">\(id)</a></td>"
                body += "<td><span class=\"verdict verdict-\(row.verdict.rawValue)\">\(HTML.escape(row.verdict.label))</span>"
                body += "\(row.detail.map { "<br><span class=\"note\">\(HTML.escape($0))</span>" } ?? "")</td>"
                body += "<td>\(HTML.escape(row.stage))</td><td>\(HTML.escape(row.ownerId ?? "—"))</td><td><code>\(HTML.escape(row.lastEventType))</code></td>"
                body += "<td>\(HTML.escape(row.reasonCode ?? ""))</td>"
                body += "<td><time datetime=\"\(HTML.escape(RFC3339.string(from: row.updatedAt)))\">\(HTML.escape(SagaTimeText.duration(max(0, now.timeIntervalSince(row.updatedAt))))) ago</time></td></tr>"
            }
            body += "</tbody></table>"
        }
        var links: [String] = []
        if filter.after != nil { links.append("<a href=\"/\(HTML.escape(HTML.query(filter.queryItems())))\">First page</a>") }
        if let next = page.next { links.append("<a rel=\"next\" href=\"/\(HTML.escape(HTML.query(filter.queryItems(after: next))))\">Next page</a>") }
        if !links.isEmpty { body += "<nav aria-label=\"Pages\"><p>\(links.joined(separator: " · "))</p></nav>" }
        return HTML.document(title: "Sagas", current: "/", body: body)
    }

    /// One link per verdict with its count (under the other filters); the current one marked.
    static func counts(_ counts: [SagaStatusFilter: Int], filter: SagaListFilter) -> String {
        let total = counts.values.reduce(0, +)
        var items = ["<li><a href=\"/\(HTML.escape(HTML.query(filter.queryItems(verdict: .some(nil)))))\"\(filter.verdict == nil ? " aria-current=\"true\"" : "")>all <strong data-count=\"all\">\(total)</strong></a></li>"]
        for verdict in SagaStatusFilter.displayOrder {
            let count = verdict == .inconsistent ? "?" : String(counts[verdict] ?? 0)
            items.append("<li><a href=\"/\(HTML.escape(HTML.query(filter.queryItems(verdict: .some(verdict)))))\"\(filter.verdict == verdict ? " aria-current=\"true\"" : "")>"
                + "<span class=\"verdict verdict-\(verdict.rawValue)\">\(HTML.escape(verdict.label))</span> <strong data-count=\"\(verdict.rawValue)\">\(count)</strong></a></li>")
        }
        return "<nav aria-label=\"Verdicts\"><ul class=\"counts\">\(items.joined())</ul></nav>"
            + "<p class=\"note\">Counts are history's record (stuck as history marked it); inconsistent sagas are found only by the analysis: pick it to search.</p>"
    }

    /// The filter form (GET, so every filtered list has a URL).
    static func form(_ filter: SagaListFilter) -> String {
        func option(_ value: String, _ label: String, _ selected: Bool) -> String {
            "<option value=\"\(HTML.escape(value))\"\(selected ? " selected" : "")>\(HTML.escape(label))</option>"
        }
        let verdicts = option("", "any", filter.verdict == nil) + SagaStatusFilter.displayOrder.map { option($0.rawValue, $0.label, filter.verdict == $0) }.joined()
        let stages = option("", "any", filter.stage == nil) + SagaListFilter.stages.map { option($0, $0, filter.stage == $0) }.joined()
        return """
            <form class="filters" method="get" action="/" role="search">
            <label>Delivery id <input name="q" id="q" value="\(HTML.escape(filter.search ?? ""))" placeholder="id or first characters" size="38"></label>
            <label>Verdict <select name="verdict" id="verdict-filter">\(verdicts)</select></label>
            <label>Stage <select name="stage">\(stages)</select></label>
            <label>Owner <input name="owner" value="\(HTML.escape(filter.owner ?? ""))" size="16"></label>
            <label>Active since <input name="since" value="\(HTML.escape(filter.sinceText ?? ""))" placeholder="1h, 2d or a time" size="12"></label>
            <button type="submit" id="apply-filters">Show</button>
            </form>
            """
    }
}

extension SagaStatusFilter {
    /// The order the explorer shows verdicts in: those needing attention first.
    static let displayOrder: [SagaStatusFilter] = [.stuck, .inconsistent, .inflight, .completed, .compensated, .rejected, .cancelled]
}
