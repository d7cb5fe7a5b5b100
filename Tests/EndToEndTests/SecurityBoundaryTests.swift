import AMQP
import Choreography
import Contracts
import Foundation
import IntegrationSupport
import Postgres
import SagaSchedules
import SagaScenarios
import Testing

/// The boundaries between the running services: each runs as its own broker user, which can
/// neither publish another service's events nor touch another service's queues, and as its own
/// database role, which cannot read or write another service's schema; an event whose envelope
/// claims a producer that did not publish it is parked with the reason, never handled.
@Suite("End to end: broker users, database roles and forged events", .serialized)
struct SecurityBoundaryTests {
    @Test("a service's credentials cannot publish another's events, configure its queues or read its schema; a forged producer is parked")
    func boundaries() async throws {
        let system = try await DeliverySystem()
        do {
            let completed = try await system.submit(.completed)
            _ = try await system.waitForEnd([completed])
            let account = try await AMQPConnection.connect(url: try system.brokerURL(asUser: system.queuePrefix + "account"))

            // Topic permissions: account may not publish a drone event on the exchange.
            let delivered = try EventMessage.make(
                DroneDelivered.sample(), deliveryId: completed, exchange: system.exchange)
            let refused = await #expect(throws: AMQPError.self) { _ = try await account.publish(delivered) }
            #expect(refused?.replyCode == 403, "\(String(describing: refused))")

            // Configure permissions: account may not delete the drone service's queue.
            let deleteRefused = await #expect(throws: AMQPError.self) { _ = try await account.deleteQueue("\(system.queuePrefix)drone.events") }
            #expect(deleteRefused?.replyCode == 403, "\(String(describing: deleteRefused))")

            // Straight into delivery's queue through the default exchange (allowed for retry copies):
            // the broker stamps user_id = account, so delivery parks the claimed drone event.
            let forgedId = UUID()
            var forged = try EventMessage.make(
                DroneDelivered.sample(), id: forgedId, deliveryId: completed, exchange: "")
            forged.routingKey = "\(system.queuePrefix)delivery.events"
            forged.properties.headers[MessageHeaders.originalRoutingKey] = .string("drone.delivered")
            #expect(try await account.publish(forged) == .confirmed)
            await account.close()

            let parked = try await waitForParked(in: "\(system.queuePrefix)delivery.parked", id: forgedId, system)
            #expect(parked.reason == "forged-producer")
            #expect(parked.lastError?.contains("published by broker user '\(system.queuePrefix)account'") == true)
            let forgedHandled = try await system.count(
                "SELECT count(*) FROM delivery.inbox WHERE event_id = $1", [.uuid(forgedId)])
            #expect(forgedHandled == 0)

            // No daemon holds an administrator's credentials: they served the setup step only.
            let adminSecrets = [
                try #require(URLComponents(string: system.adminURL)?.password),
                try AMQPConfiguration(url: system.amqpURL).password,
            ]
            for service in DeliverySystem.services {
                let pid = try #require(await system.processIdentifier(of: service))
                let environment = try Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/environ"))
                let variables = String(decoding: environment, as: UTF8.self).split(separator: "\0").map(String.init)
                #expect(!variables.contains { $0.hasPrefix("DATABASE_ADMIN_URL=") || $0.hasPrefix("AMQP_ADMIN_URL=") }, "\(service)")
                #expect(!adminSecrets.contains { secret in variables.contains { $0.contains(secret) } }, "\(service) holds an admin secret")
            }

            // Database roles: the account role cannot read or write the drone service's tables.
            let accountRole = try await PostgresConnection.connect(url: try system.databaseURL(asService: "account"))
            let read = await #expect(throws: PostgresError.self) { try await accountRole.simpleQuery("SELECT * FROM drone.drones LIMIT 1") }
            #expect(read?.sqlState == "42501")
            let write = await #expect(throws: PostgresError.self) { try await accountRole.simpleQuery("DELETE FROM delivery.deliveries") }
            #expect(write?.sqlState == "42501")
            await accountRole.close()
        } catch {
            await system.shutDown()
            throw error
        }
        await system.shutDown()
    }

    /// Reads the parking queue until the message with `id` is there (as saga-admin lists it).
    private func waitForParked(in queue: String, id: UUID, _ system: DeliverySystem) async throws -> ParkedMessage {
        let service = String(queue.dropLast(".parked".count))
        let parkedMessages = ParkedMessages(
            amqpURL: system.amqpURL, topology: ServiceTopology(exchange: "", service: service, bindings: [], retryPolicy: RetryPolicy()))
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            if let message = try await parkedMessages.list().first(where: { $0.messageId == id.uuidString.lowercased() }) { return message }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw HarnessError("no parked message \(id) in \(queue) within 60 s")
    }
}
