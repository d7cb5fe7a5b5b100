import Foundation
import SagaLoadMeasures

/// How a load run's figures are printed: for people, and as `key=value` fields.
enum LoadReport {
    /// Throughput, latency, outcomes and refusals, for people.
    static func lines(_ figures: LoadFigures, run: LoadRun, planned: Int) -> [String] {
        let latency = figures.latency
        var lines = [
            "",
            "sagas ended     \(figures.ended) / \(planned)  in \(ResourceReport.format(figures.span, 2)) s (first POST to last saga end)",
            "sagas/s         \(ResourceReport.format(figures.sagasPerSecond, 1))",
            "latency         p50 \(ms(latency, 50))  p90 \(ms(latency, 90))  p99 \(ms(latency, 99))  max \(ResourceReport.format(latency.maximumMilliseconds, 1)) ms"
                + "  (HDR histogram, \(latency.count) sagas)",
            "                from the client's wall clock just before the POST to history's recorded_at of the event that",
            "                ended the saga (its outcome, or the last compensation that outcome needs); both this host's clock",
            "outcomes (path → history's stage):",
        ]
        for (key, number) in figures.outcomes.counts.sorted(by: { $0.key < $1.key }) {
            lines.append("  \(key.path.padding(toLength: 22, withPad: " ", startingAt: 0)) → \((key.stage ?? "NOT ENDED").padding(toLength: 12, withPad: " ", startingAt: 0)) \(number)")
        }
        lines.append("  not a stage the path expects: \(figures.outcomes.unexpected)")
        if figures.endedAfterSeen > 0 {
            lines.append("  \(figures.endedAfterSeen) saga(s) logged a compensation after the watcher saw them end (latency counts the later end)")
        }
        if run.failedSubmissions > 0 {
            lines.append("submissions refused or failed: \(run.failedSubmissions), e.g. \(run.failureSamples.joined(separator: " | "))")
        }
        return lines
    }

    /// `sagas`, `sagas_per_s`, `p50_ms`, `p90_ms`, `p99_ms`, `max_ms`, `unexpected`, `not_ended`.
    static func fields(_ figures: LoadFigures) -> [String] {
        let latency = figures.latency
        return [
            "sagas=\(figures.ended)", "sagas_per_s=\(ResourceReport.format(figures.sagasPerSecond, 1))",
            "p50_ms=\(ResourceReport.format(latency.milliseconds(atPercentile: 50), 1))",
            "p90_ms=\(ResourceReport.format(latency.milliseconds(atPercentile: 90), 1))",
            "p99_ms=\(ResourceReport.format(latency.milliseconds(atPercentile: 99), 1))",
            "max_ms=\(ResourceReport.format(latency.maximumMilliseconds, 1))",
            "unexpected=\(figures.outcomes.unexpected)", "not_ended=\(figures.outcomes.notEnded)",
        ]
    }

    /// A percentile in milliseconds, one decimal, with its unit.
    private static func ms(_ latency: LatencySummary, _ percentile: Double) -> String {
        ResourceReport.format(latency.milliseconds(atPercentile: percentile), 1) + " ms"
    }
}
