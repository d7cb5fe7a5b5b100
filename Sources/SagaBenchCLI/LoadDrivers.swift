import Foundation
import SagaLoadMeasures
import SagaScenarios

/// One delivery a load run submitted.
struct SubmittedSaga: Sendable {
    /// Its place in the plan.
    var index: Int
    /// The path it drives.
    var path: SagaPath
    /// The delivery id the 202 gave.
    var id: UUID
    /// The wall clock just before its POST was sent.
    var postedAt: Date
    /// When the watcher saw it end (`nil`: it did not end in time).
    var seenEndedAt: Date?
}

/// What the drivers did: the sagas submitted, the submissions refused, and how long submitting took.
struct LoadRun: Sendable {
    /// The sagas submitted (ended or not).
    var sagas: [SubmittedSaga] = []
    /// Submissions that failed (not a 202, or no answer), with the first few reasons.
    var failedSubmissions = 0
    /// The first three failures' descriptions.
    var failureSamples: [String] = []

    /// Adds a failure, keeping the first three reasons.
    mutating func fail(_ error: any Error) {
        failedSubmissions += 1
        if failureSamples.count < 3 { failureSamples.append("\(error)") }
    }

    /// Both runs' sagas and failures.
    mutating func merge(_ other: LoadRun) {
        sagas += other.sagas
        failedSubmissions += other.failedSubmissions
        failureSamples = Array((failureSamples + other.failureSamples).prefix(3))
    }
}

/// Hands out the plan's indices in order to the clients that ask.
actor PlanCursor {
    private var next = 0
    private let count: Int

    /// A cursor over `count` indices.
    init(count: Int) { self.count = count }

    /// The next index, or `nil` once the plan is used up.
    func take() -> Int? {
        guard next < count else { return nil }
        defer { next += 1 }
        return next
    }
}

/// How a load run submits: the request of each plan entry, and the API it goes to.
struct LoadSubmitter: Sendable {
    /// The path of each delivery, in order.
    let plan: [SagaPath]
    /// Whose account each delivery uses.
    let owners: BenchOwners
    /// The ingestion (and history) API.
    let client: DeliveryAPIClient

    /// Submits plan entry `index` (and cancels it at once for the cancelled path).
    func submit(_ index: Int) async throws -> SubmittedSaga {
        let path = plan[index]
        let body = path.requestBody(tag: "load", ownerId: owners.ownerId(for: path, index: index))
        let postedAt = Date()
        let id = try await client.submit(body)
        if path == .cancelled { _ = try await client.cancel(id) }
        return SubmittedSaga(index: index, path: path, id: id, postedAt: postedAt)
    }

    /// Closed loop: `clients` clients, each submitting its next delivery only once the watcher
    /// saw its previous saga end (compensations included), so at most `clients` sagas are in flight.
    func closedLoop(clients: Int, watcher: SagaEndWatcher) async -> LoadRun {
        let cursor = PlanCursor(count: plan.count)
        return await withTaskGroup(of: LoadRun.self) { group in
            for _ in 0..<max(1, clients) {
                group.addTask {
                    var run = LoadRun()
                    while let index = await cursor.take() {
                        do {
                            var saga = try await submit(index)
                            if case .ended(let seenAt) = await watcher.waitForEnd(of: saga.id) { saga.seenEndedAt = seenAt }
                            run.sagas.append(saga)
                        } catch {
                            run.fail(error)
                        }
                    }
                    return run
                }
            }
            var total = LoadRun()
            for await run in group { total.merge(run) }
            return total
        }
    }

    /// Open loop: submits with at most `requests` POSTs in flight (paced at `rate` per second if
    /// above 0), whatever the sagas do, then waits for every saga to end.
    func openLoop(requests: Int, rate: Double, watcher: SagaEndWatcher) async -> LoadRun {
        let start = ContinuousClock.now
        let interval: Duration? = rate > 0 ? .nanoseconds(Int64(1e9 / rate)) : nil
        var submitted = await withTaskGroup(of: LoadRun.self) { group in
            var total = LoadRun()
            for index in plan.indices {
                if index >= max(1, requests), let done = await group.next() { total.merge(done) }
                if let interval { try? await Task.sleep(until: start + interval * index) }
                group.addTask {
                    var run = LoadRun()
                    do { run.sagas.append(try await submit(index)) } catch { run.fail(error) }
                    return run
                }
            }
            for await run in group { total.merge(run) }
            return total
        }
        submitted.sagas = await withTaskGroup(of: SubmittedSaga.self) { group in
            for saga in submitted.sagas {
                group.addTask {
                    var saga = saga
                    if case .ended(let seenAt) = await watcher.waitForEnd(of: saga.id) { saga.seenEndedAt = seenAt }
                    return saga
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        return submitted
    }
}
