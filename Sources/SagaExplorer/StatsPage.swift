import Contracts
import Foundation
import SagaInspect

/// The stats page (`/stats`): outcomes over time, durations, failures per reason, parked messages,
/// each as an SVG chart with the numbers in a table beside it.
package enum StatsPage {
    /// The whole page.
    package static func render(_ stats: ExplorerStats, sinceText: String?) -> String {
        let summary = stats.summary
        var body = "<h1>Stats</h1>"
        body += """
            <form class="filters" method="get" action="/stats"><label>Deliveries created since <input name="since" value="\(HTML.escape(sinceText ?? ""))" placeholder="1h, 2d or a time"></label>
            <button type="submit">Show</button></form>
            <p>\(summary.total) deliveries\(summary.since.map { " since \(HTML.escape(RFC3339.string(from: $0)))" } ?? "").</p>
            """
        // Outcomes over time.
        body += "<section aria-labelledby=\"outcomes-heading\"><h2 id=\"outcomes-heading\">Outcomes over time (per hour of latest activity, last 48 hours)</h2>"
        body += stackedBars(stats.outcomesByHour.map { (label: hourLabel($0.hour), counts: $0.counts) })
        body += "</section>"
        // Durations.
        body += "<section aria-labelledby=\"durations-heading\"><h2 id=\"durations-heading\">Saga duration (first to last event, ended sagas)</h2>"
        if let p50 = summary.p50Seconds, let p99 = summary.p99Seconds, let longest = summary.maxSeconds {
            body += "<p id=\"percentiles\">\(summary.endedSagas) ended sagas: p50 <strong>\(seconds(p50))</strong>, p99 <strong>\(seconds(p99))</strong>, max <strong>\(seconds(longest))</strong>.</p>"
        } else {
            body += "<p id=\"percentiles\">No ended sagas.</p>"
        }
        body += bars(title: "Ended sagas per duration", stats.durationHistogram.enumerated().map { index, bucket in
            let lower = index == 0 ? 0 : ExplorerStats.durationBounds[index - 1]
            return (bucket.upTo.map { "\(seconds(lower))–\(seconds($0))" } ?? "> \(seconds(lower))", bucket.sagas)
        })
        body += "</section>"
        body += "<section aria-labelledby=\"reasons-heading\"><h2 id=\"reasons-heading\">Failures per reason code</h2>"
        body += bars(title: "Failed deliveries per reason code", summary.byReasonCode.sorted { ($1.value, $0.key) < ($0.value, $1.key) }.map { ($0.key, $0.value) })
        body += "</section>"
        body += "<section aria-labelledby=\"parked-heading\"><h2 id=\"parked-heading\">Parked messages per service</h2>"
        body += bars(title: "Parked messages per service", SagaContract.services.map { ($0, stats.parkedByService[$0] ?? 0) })
        body += "</section>"
        return HTML.document(title: "Stats", current: "/stats", body: body)
    }

    /// A horizontal bar chart and its numbers as a table.
    static func bars(title: String, _ values: [(String, Int)]) -> String {
        guard !values.isEmpty else { return "<p>None.</p>" }
        let largest = max(1, values.map(\.1).max() ?? 1)
        let height = values.count * 22 + 10
        var svg = "<svg class=\"chart\" width=\"640\" height=\"\(height)\" viewBox=\"0 0 640 \(height)\" role=\"img\" aria-label=\"\(HTML.escape(title))\" font-family=\"system-ui,sans-serif\" font-size=\"11\"><title>\(HTML.escape(title))</title>"
        for (index, (label, count)) in values.enumerated() {
            let y = 5 + index * 22
            let width = Int((Double(count) / Double(largest) * 400).rounded())
            svg += "<text x=\"150\" y=\"\(y + 14)\" text-anchor=\"end\">\(HTML.escape(label))</text>"
            svg += "<rect x=\"160\" y=\"\(y)\" width=\"\(width)\" height=\"18\" fill=\"#4a6fa5\"><title>\(HTML.escape("\(label): \(count)"))</title></rect>"
            svg += "<text x=\"\(166 + width)\" y=\"\(y + 14)\">\(count)</text>"
        }
        svg += "</svg>"
        let rows = values.map { "<tr><th scope=\"row\">\(HTML.escape($0.0))</th><td>\($0.1)</td></tr>" }.joined()
        return "<figure>\(svg)<details><summary>Numbers</summary><table>\(rows)</table></details></figure>"
    }

    /// Vertical bars per hour, stacked by verdict.
    static func stackedBars(_ columns: [(label: String, counts: [SagaStatusFilter: Int])]) -> String {
        guard !columns.isEmpty else { return "<p>No activity in the window.</p>" }
        let colours: [SagaStatusFilter: String] = [
            .completed: "#5aa05a", .compensated: "#d9a520", .rejected: "#c98a1a", .cancelled: "#a0a0a0", .inflight: "#4a6fa5", .stuck: "#c03030",
        ]
        let largest = max(1, columns.map { $0.counts.values.reduce(0, +) }.max() ?? 1)
        let barWidth = 18
        let width = 60 + columns.count * (barWidth + 4)
        var svg = "<svg class=\"chart\" width=\"\(width)\" height=\"240\" viewBox=\"0 0 \(width) 240\" role=\"img\" aria-label=\"Deliveries per hour by outcome\" font-family=\"system-ui,sans-serif\" font-size=\"10\"><title>Deliveries per hour by outcome</title>"
        svg += "<text x=\"4\" y=\"12\">\(largest)</text><line x1=\"40\" y1=\"200\" x2=\"\(width)\" y2=\"200\" stroke=\"#888\"/>"
        for (index, column) in columns.enumerated() {
            let x = 44 + index * (barWidth + 4)
            var top = 200
            for verdict in SagaStatusFilter.displayOrder {
                guard let count = column.counts[verdict], count > 0 else { continue }
                let height = max(1, Int((Double(count) / Double(largest) * 185).rounded()))
                top -= height
                svg += "<rect x=\"\(x)\" y=\"\(top)\" width=\"\(barWidth)\" height=\"\(height)\" fill=\"\(colours[verdict] ?? "#777")\"><title>\(HTML.escape("\(column.label): \(count) \(verdict.label)"))</title></rect>"
            }
            if index % 4 == 0 || columns.count < 8 {
                svg += "<text x=\"\(x)\" y=\"215\" transform=\"rotate(45 \(x) 215)\">\(HTML.escape(column.label))</text>"
            }
        }
        svg += "</svg>"
        let legend = SagaStatusFilter.displayOrder.compactMap { verdict in
            colours[verdict].map { "<span style=\"color:\($0)\">■</span> \(HTML.escape(verdict.label))" }
        }.joined(separator: " ")
        let rows = columns.map { column in
            "<tr><th scope=\"row\">\(HTML.escape(column.label))</th>" + SagaStatusFilter.displayOrder.filter { $0 != .inconsistent }.map { "<td>\(column.counts[$0] ?? 0)</td>" }.joined() + "</tr>"
        }.joined()
        let head = "<tr><th>Hour (UTC)</th>" + SagaStatusFilter.displayOrder.filter { $0 != .inconsistent }.map { "<th>\(HTML.escape($0.label))</th>" }.joined() + "</tr>"
        return "<figure>\(svg)<figcaption>\(legend)</figcaption><details><summary>Numbers</summary><table>\(head)\(rows)</table></details></figure>"
    }

    /// `2026-06-15 08h`.
    static func hourLabel(_ date: Date) -> String { String(RFC3339.string(from: date).prefix(13).replacingOccurrences(of: "T", with: " ")) + "h" }

    /// A duration: `0.25s` below ten seconds, `5m12s` above.
    static func seconds(_ value: Double) -> String { value < 10 ? String(format: "%.3gs", value) : SagaTimeText.duration(value) }
}
