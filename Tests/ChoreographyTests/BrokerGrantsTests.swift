@testable import Choreography
import Contracts
import Foundation
import Testing

/// The broker rights derived from the event catalogue, checked as RabbitMQ applies them (each
/// regular expression against resource names and routing keys), without a broker.
@Suite("Broker grants: least privilege from the event catalogue")
struct BrokerGrantsTests {
    let grants = BrokerGrants.all(exchange: "fabrikam.events", queuePrefix: "")

    func grant(_ user: String) throws -> BrokerGrant { try #require(grants.first { $0.user == user }) }

    func matches(_ pattern: String, _ name: String) throws -> Bool {
        let regex = try NSRegularExpression(pattern: pattern)
        return regex.firstMatch(in: name, range: NSRange(name.startIndex..., in: name)) != nil
    }

    @Test("each service publishes on the exchange exactly the event types it produces")
    func topicWrite() throws {
        for service in BrokerGrants.services {
            let grant = try grant(service.rawValue)
            for type in EventType.all {
                let produced = EventCatalog.producedTypes(by: service).contains(type)
                #expect(try matches(grant.topicWrite, type.rawValue) == produced, "\(service) publishing \(type)")
            }
            #expect(grant.topicExchange == "fabrikam.events")
        }
        #expect(try !matches(try grant("account").topicWrite, "drone.delivered"))
        #expect(try !matches(try grant("account").topicWrite, "accountXvalidated"), "dots are literal")
    }

    @Test("each service configures and consumes only its own queues; history may not publish on the exchange")
    func queues() throws {
        let drone = try grant("drone")
        #expect(try matches(drone.configure, "drone.events"))
        #expect(try matches(drone.configure, "drone.retry.1000ms"))
        #expect(try !matches(drone.configure, "delivery.events"))
        #expect(try !matches(drone.configure, "fabrikam.events"))
        #expect(try matches(drone.read, "drone.events"))
        #expect(try !matches(drone.read, "delivery.events"))
        #expect(try matches(drone.write, "fabrikam.events"))
        #expect(try matches(drone.write, "amq.default"))
        let history = try grant("history")
        #expect(try !matches(history.write, "fabrikam.events"))
        #expect(try matches(history.write, "amq.default"))
    }

    @Test("the tools: saga-inspect reads the parking queues only; saga-admin reads them and replays through the default exchange")
    func tools() throws {
        let inspector = try grant("saga-inspect")
        #expect(try matches(inspector.read, "package.parked"))
        #expect(try !matches(inspector.read, "package.events"))
        #expect(try !matches(inspector.write, "amq.default"))
        #expect(try !matches(inspector.configure, "package.parked"))
        let admin = try grant("saga-admin")
        #expect(try matches(admin.write, "amq.default"))
        #expect(try !matches(admin.write, "fabrikam.events"))
        #expect(try matches(admin.read, "drone.parked"))
        #expect(try !matches(admin.configure, "drone.parked"))
    }

    @Test("a queue prefix scopes users and queues, so systems sharing one broker stay apart")
    func prefixed() throws {
        let prefixed = BrokerGrants.service(.drone, exchange: "e2e.x.events", queuePrefix: "e2e-x-")
        #expect(prefixed.user == "e2e-x-drone")
        #expect(try matches(prefixed.configure, "e2e-x-drone.events"))
        #expect(try !matches(prefixed.configure, "drone.events"))
        #expect(try matches(prefixed.write, "e2e.x.events"))
        #expect(try !matches(prefixed.write, "fabrikam.events"))
    }
}
