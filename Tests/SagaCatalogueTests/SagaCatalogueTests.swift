import AccountService
import Choreography
import Contracts
import DeliveryService
import DroneService
import HistoryService
import IngestionService
import PackageService
import Testing

/// The event catalogue (`EventCatalog.consumers`) against what the six services really handle,
/// and the saga topology every service declares from it. No servers.
@Suite("Event catalogue and saga topology")
struct SagaCatalogueTests {
    /// Each saga service's definition, with its default settings.
    static func definitions() throws -> [Producer: ServiceDefinition] {
        [
            .ingestion: try IngestionService.definition(),
            .account: try AccountService.definition(),
            .package: try PackageService.definition(),
            .drone: try DroneService.definition(),
            .delivery: try DeliveryService.definition(),
            .history: try HistoryService.definition(),
        ]
    }

    @Test("every service handles exactly the event types the catalogue says it consumes (history: every event)")
    func registrationsMatchTheCatalogue() throws {
        let definitions = try Self.definitions()
        #expect(Set(definitions.keys) == Set(Producer.all))
        for (service, definition) in definitions {
            #expect(definition.bindings == SagaTopology.bindings(of: service), "\(service)")
        }
    }

    @Test("every event type has an entry; no service consumes its own events")
    func catalogueIsComplete() {
        #expect(Set(EventCatalog.consumers.keys) == Set(EventType.all))
        for type in EventType.all {
            let producer = EventCatalog.payloadType(for: type)?.producer
            #expect(!EventCatalog.consumers(of: type).contains { $0 == producer }, "\(type)")
            #expect(!EventCatalog.consumers(of: type).contains(.history), "history takes every event by pattern")
        }
    }

    @Test("the saga topology binds, for every event type, one queue per consumer and history's catch-all")
    func sagaTopologyRoutesEveryEvent() {
        let topology = SagaTopology(exchange: "x", queuePrefix: "p-")
        let queues = Dictionary(uniqueKeysWithValues: topology.workQueues.map { ($0.queue, $0.bindings) })
        #expect(Set(queues.keys) == ["p-account.events", "p-package.events", "p-drone.events", "p-delivery.events", "p-history.events"])
        #expect(queues["p-history.events"] == [EventExchange.everyEvent])
        for type in EventType.all {
            let bound = queues.filter { $0.value.contains(type.rawValue) }.keys.sorted()
            #expect(bound == EventCatalog.consumers(of: type).map { "p-\($0.rawValue).events" }.sorted(), "\(type)")
        }
    }
}
