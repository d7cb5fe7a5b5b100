import Metrics
import Synchronization

/// The runtime's metrics: events handled, duplicates skipped, retries, parked messages, handler
/// latency (for events sharing a transaction, the whole transaction's), shared transactions
/// committed or redone, deadlines fired and the outbox backlog. Each metric object is created once and kept;
/// dimensions are bounded (service, event type, reason), never per-message ids.
final class RuntimeMetrics: Sendable {
    let service: String
    private struct CounterKey: Hashable {
        let label: String
        let value: String
    }

    private let counters = Mutex<[CounterKey: Counter]>([:])
    private let latency: Timer
    private let backlog: Gauge

    init(service: String) {
        self.service = service
        latency = Timer(label: "fabrikam_handler_duration_seconds", dimensions: [("service", service)])
        backlog = Gauge(label: "fabrikam_outbox_backlog", dimensions: [("service", service)])
    }

    func handled(_ type: String) { counter("fabrikam_events_handled_total", "type", type).increment() }
    func duplicate(_ type: String) { counter("fabrikam_events_duplicates_total", "type", type).increment() }
    func retried(_ type: String) { counter("fabrikam_events_retried_total", "type", type).increment() }
    func parked(reason: String) { counter("fabrikam_events_parked_total", "reason", reason).increment() }
    /// A transaction of several events committed (`committed`) or was rolled back and its events
    /// handled one per transaction (`redone-one-by-one`), or, when it held events handled before,
    /// settled those as duplicates and done the others together again (`redone-without-duplicates`).
    func sharedTransaction(_ outcome: String) { counter("fabrikam_shared_transactions_total", "outcome", outcome).increment() }
    func deadlineFired(_ name: String) { counter("fabrikam_deadlines_fired_total", "deadline", name).increment() }
    func handlerLatency(_ duration: Duration) { latency.recordNanoseconds(duration.nanoseconds) }
    func outboxBacklog(_ count: Int) { backlog.record(count) }

    private func counter(_ label: String, _ dimension: String, _ value: String) -> Counter {
        counters.withLock { counters in
            let key = CounterKey(label: label, value: value)
            if let counter = counters[key] { return counter }
            let counter = Counter(label: label, dimensions: [("service", service), (dimension, value)])
            counters[key] = counter
            return counter
        }
    }
}

extension Duration {
    /// Whole nanoseconds.
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
