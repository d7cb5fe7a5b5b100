import Contracts
import SagaLoadMeasures
import Testing

/// The bare saga `saga-bench floor` drives: the completed path's message pattern, routed as the
/// contracts' consumer table routes it.
@Suite("Bare saga")
struct BareSagaTests {
    /// Routes one saga through `EventCatalog.consumers` (plus history, bound to everything) in
    /// arrival order per queue; returns the published types in order and the deliveries made.
    private func run() -> (published: [EventType], deliveries: Int, ended: Bool) {
        var memories: [Producer: BareSaga.Memory] = [:]
        var pending: [(Producer, EventType)] = []
        var published: [EventType] = []
        var deliveries = 0
        var ended = false
        func publish(_ type: EventType) {
            published.append(type)
            for consumer in EventCatalog.consumers(of: type) + [.history] { pending.append((consumer, type)) }
        }
        publish(BareSaga.start)
        while !pending.isEmpty {
            let (service, type) = pending.removeFirst()
            deliveries += 1
            if service == .history, type == BareSaga.end { ended = true }
            for reaction in BareSaga.reaction(of: service, to: type, memory: &memories[service, default: .init()]) {
                #expect(EventCatalog.payloadType(for: reaction)?.producer == service, "\(service) may not publish \(reaction)")
                publish(reaction)
            }
        }
        return (published, deliveries, ended)
    }

    @Test("one saga publishes each happy-path event once, by its producer, and ends at history")
    func completes() {
        let saga = run()
        #expect(saga.ended)
        #expect(saga.published.sorted() == BareSaga.publishedTypes.sorted())
        #expect(Set(saga.published).count == saga.published.count)
    }

    @Test("deliveries are every consumer of each published event, history included (19 today)")
    func deliveries() {
        let expected = BareSaga.publishedTypes.reduce(0) { $0 + EventCatalog.consumers(of: $1).count + 1 }
        #expect(run().deliveries == expected)
        #expect(expected == 19)
    }

    @Test("delivery schedules only once both the validation and the allocation arrived, in either order")
    func join() {
        for order in [[EventType.accountValidated, .droneAllocated], [.droneAllocated, .accountValidated]] {
            var memory = BareSaga.Memory()
            #expect(BareSaga.reaction(of: .delivery, to: order[0], memory: &memory).isEmpty)
            #expect(BareSaga.reaction(of: .delivery, to: order[1], memory: &memory) == [.deliveryScheduled])
            // A redelivery of either publishes nothing more.
            #expect(BareSaga.reaction(of: .delivery, to: order[1], memory: &memory).isEmpty)
        }
    }
}
