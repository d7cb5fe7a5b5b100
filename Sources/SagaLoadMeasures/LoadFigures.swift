package import Foundation
package import SagaScenarios

/// The figures of a load run, from what history logged for each of its sagas.
package struct LoadFigures: Sendable {
    /// One submitted saga as the run's end finds it.
    package struct Saga: Sendable {
        /// Its path.
        package var path: SagaPath
        /// History's stage now (`nil`: history does not know it).
        package var stage: String?
        /// Its ending and compensation events as history logged them.
        package var events: [SagaEnd.LoggedEvent]
        /// The client's wall clock just before the POST.
        package var postedAt: Date
        /// When the client saw it end (`nil`: not within the timeout).
        package var seenEndedAt: Date?

        /// A saga from its fields.
        package init(path: SagaPath, stage: String?, events: [SagaEnd.LoggedEvent], postedAt: Date, seenEndedAt: Date?) {
            self.path = path
            self.stage = stage
            self.events = events
            self.postedAt = postedAt
            self.seenEndedAt = seenEndedAt
        }
    }

    /// Terminal stages per path, unexpected ones, sagas that did not end.
    package var outcomes = OutcomeTally()
    /// POST → end (``SagaEnd/endedAt(_:)``) of every saga that ended.
    package var latency = LatencySummary()
    /// Sagas that ended.
    package var ended = 0
    /// Seconds from the first POST to the last end.
    package var span = 0.0
    /// Sagas whose end (a compensation) was logged after the client had already seen them end.
    package var endedAfterSeen = 0

    /// Ended sagas per second over ``span`` (0 when nothing ended).
    package var sagasPerSecond: Double { span > 0 ? Double(ended) / span : 0 }

    /// The figures of `sagas`.
    package init(_ sagas: [Saga]) {
        var lastEnd: Date?
        for saga in sagas {
            let end = SagaEnd.endedAt(saga.events)
            outcomes.add(path: saga.path.rawValue, stage: end == nil ? nil : saga.stage, expected: saga.path.expectedStages)
            guard let end else { continue }
            ended += 1
            latency.record(seconds: end.timeIntervalSince(saga.postedAt))
            lastEnd = max(lastEnd ?? end, end)
            if let seen = saga.seenEndedAt, end > seen { endedAfterSeen += 1 }
        }
        if let lastEnd, let firstPost = sagas.map(\.postedAt).min() { span = lastEnd.timeIntervalSince(firstPost) }
    }
}
