import Metrics
import MetricsTestKit

/// The counters of every runtime this test process runs, in memory: a test waits on them (say,
/// until every copy of an event was seen as a duplicate) instead of sleeping and hoping. Runtimes
/// are told apart by their `service` dimension, each harness's own name.
package enum RuntimeCounters {
    /// The process's metrics factory; bootstrapped once, before any runtime creates a counter.
    private static let metrics: TestMetrics = {
        let metrics = TestMetrics()
        MetricsSystem.bootstrap(metrics)
        return metrics
    }()

    /// Makes the in-memory factory the process's metrics system (the first call does).
    package static func install() { _ = metrics }

    /// The sum of the counter `label` over every dimension of `service` (those with `dimension`, when given).
    package static func total(_ label: String, service: String, _ dimension: (String, String)? = nil) -> Int {
        Int(metrics.counterTotal(label: label, dimensions: [("service", service)] + (dimension.map { [$0] } ?? [])))
    }
}
