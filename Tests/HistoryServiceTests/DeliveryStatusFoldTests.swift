import Contracts
import Foundation
import HistoryService
import Testing

/// The incremental status (``DeliveryStatusSummary``: one event folded into a stored summary at a
/// time) against the full projection it replaced (``FullLogProjection``, all events sorted): for
/// every path of the saga, every subset of its events, every order (all of them for up to eight
/// events, seeded ones beyond), repeated events, clocks that disagree and tie, and the summary's
/// stored form.
@Suite("Delivery status fold")
struct DeliveryStatusFoldTests {
    /// A set's events with their contributions, and the oracle's status of each subset (by bit mask).
    private struct Case {
        let name: String
        let events: [AnyEventEnvelope]
        let contributions: [DeliveryStatusSummary]
        let oracle: [DeliveryStatus?]

        init(_ name: String, _ events: [AnyEventEnvelope]) {
            self.name = name
            self.events = events
            contributions = events.map(DeliveryStatusSummary.init)
            oracle = (0..<(1 << events.count)).map { mask in
                FullLogProjection.project(events.indices.filter { mask & (1 << $0) != 0 }.map { events[$0] })
            }
        }

        var deliveryId: UUID { events[0].deliveryId }

        /// Folds the events in `order` (indices, repeats allowed) one at a time, checking after
        /// each that the status is the oracle's for the events seen so far; returns the mismatches.
        func mismatches(folding order: [Int], throughStorage: Bool = false) throws -> [String] {
            var summary = DeliveryStatusSummary()
            var seen = 0
            var found: [String] = []
            for index in order {
                if throughStorage {
                    summary = try DeliveryStatusSummary(stored: JSONValue(parsing: summary.stored.serialized()))
                }
                summary = summary.merging(contributions[index])
                seen |= 1 << index
                if summary.status(deliveryId: deliveryId) != oracle[seen] {
                    found.append("\(name): order \(order), after \(events[index].type)")
                }
            }
            return found
        }
    }

    /// Every set of every path, with the times the scripts gave them.
    private static func cases() throws -> [Case] {
        try SagaEventSets.all().map { Case($0.name, $0.script.events) }
    }

    /// Every set again with disagreeing clocks: each event at one of three instants 50 ms apart,
    /// so events come before their causes and many tie (then the event id orders them).
    private static func skewedCases(variants: Int) throws -> [Case] {
        var generator = SeededGenerator(seed: 2_718)
        let base = Date(timeIntervalSince1970: 1_780_000_000)
        return try SagaEventSets.all().flatMap { name, script in
            (0..<variants).map { variant in
                let times = script.events.map { _ in base.addingTimeInterval(0.05 * Double(Int.random(in: 0..<3, using: &generator))) }
                return Case("\(name), skewed clocks #\(variant)", script.retimed { times[$0] }.events)
            }
        }
    }

    @Test("every subset of every path's events: the join of the contributions is the full projection")
    func everySubset() throws {
        var failures: [String] = []
        for test in try Self.cases() + Self.skewedCases(variants: 12) {
            for mask in 0..<(1 << test.events.count) {
                let joined = test.events.indices.filter { mask & (1 << $0) != 0 }
                    .reduce(DeliveryStatusSummary()) { $0.merging(test.contributions[$1]) }
                if joined.status(deliveryId: test.deliveryId) != test.oracle[mask] { failures.append("\(test.name), subset \(mask)") }
            }
        }
        #expect(failures.isEmpty, "\(failures.count) mismatches, e.g. \(failures.prefix(3))")
    }

    @Test("every order of up to eight events, folded one at a time, shows the full projection after each event")
    func everyPermutation() throws {
        var checked = 0
        for test in try Self.cases() + Self.skewedCases(variants: 3) where test.events.count <= 8 {
            var failures: [String] = []
            forEachPermutation(of: Array(test.events.indices)) { order in
                failures += (try? test.mismatches(folding: order)) ?? ["\(test.name): order \(order) failed to fold"]
                checked += 1
            }
            #expect(failures.isEmpty, "\(failures.count) mismatches, e.g. \(failures.prefix(3))")
        }
        #expect(checked > 100_000)
    }

    @Test("seeded orders of every path with repeated events, each step through the stored form, show the full projection after each event")
    func seededOrdersWithRepeats() throws {
        var generator = SeededGenerator(seed: 31_415)
        for test in try Self.cases() + Self.skewedCases(variants: 5) {
            var failures: [String] = []
            for _ in 0..<100 {
                var order = test.events.indices.shuffled(using: &generator)
                // Redeliveries: a few events again, each somewhere after its first copy.
                for _ in 0..<Int.random(in: 1...4, using: &generator) {
                    let first = Int.random(in: 0..<order.count, using: &generator)
                    order.insert(order[first], at: Int.random(in: (first + 1)...order.count, using: &generator))
                }
                failures += try test.mismatches(folding: order, throughStorage: true)
            }
            #expect(failures.isEmpty, "\(failures.count) mismatches, e.g. \(failures.prefix(3))")
        }
    }

    @Test("the join is commutative, associative and idempotent on every path's contributions")
    func joinLaws() throws {
        for test in try Self.cases() + Self.skewedCases(variants: 2) {
            let parts = [DeliveryStatusSummary()] + test.contributions + [test.contributions.reduce(DeliveryStatusSummary()) { $0.merging($1) }]
            for a in parts {
                #expect(a.merging(a) == a, "\(test.name)")
                for b in parts {
                    #expect(a.merging(b) == b.merging(a), "\(test.name)")
                    for c in parts.prefix(6) {
                        #expect(a.merging(b).merging(c) == a.merging(b.merging(c)), "\(test.name)")
                    }
                }
            }
        }
    }

    @Test("the stored form reads back to the same summary, times to the same Date (sub-millisecond ones too)")
    func storedRoundTrip() throws {
        var script = try SagaScript.happySaga()
        script = script.retimed { Date(timeIntervalSince1970: 1_780_000_000.123_456_7 + Double($0) * 0.000_1) }
        for test in try Self.cases() + [Case("sub-millisecond times", script.events)] {
            var summary = DeliveryStatusSummary()
            for contribution in test.contributions {
                summary = summary.merging(contribution)
                let text = summary.stored.serialized()
                #expect(try DeliveryStatusSummary(stored: JSONValue(parsing: text)) == summary, "\(test.name)")
            }
        }
        #expect(try DeliveryStatusSummary(stored: JSONValue(parsing: "{}")) == DeliveryStatusSummary())
        #expect(throws: StoredSummaryError.self) { try DeliveryStatusSummary(stored: ["latest": "delivery.requested"]) }
        #expect(throws: StoredSummaryError.self) { try DeliveryStatusSummary(stored: []) }
    }
}

/// Calls `body` with every permutation of `elements` (Heap's algorithm).
private func forEachPermutation(of elements: [Int], _ body: ([Int]) -> Void) {
    var elements = elements
    var counters = [Int](repeating: 0, count: elements.count)
    body(elements)
    var index = 0
    while index < elements.count {
        if counters[index] < index {
            elements.swapAt(index.isMultiple(of: 2) ? 0 : counters[index], index)
            body(elements)
            counters[index] += 1
            index = 0
        } else {
            counters[index] = 0
            index += 1
        }
    }
}
