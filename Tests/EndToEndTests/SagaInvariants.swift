import Contracts
import Foundation
import SagaSchedules
import IntegrationSupport
import Postgres
import Testing

/// The invariants every end-to-end test checks when its sagas have ended:
/// nothing left allocated or active, every compensation the failure needs has happened, every
/// event applied once per consumer, nothing parked.
enum SagaInvariants {
    /// Checks them all, recording an issue per violation.
    static func check(_ system: DeliverySystem, parkedAllowed: Bool = false, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        // Completed sagas release their drone after delivery.completed: give the last events a moment.
        try await waitUntil("every drone back in the pool", timeout: .seconds(30)) {
            try await system.count("SELECT count(*) FROM drone.drones WHERE state <> 'idle'") == 0
        }
        #expect(try await system.count("SELECT count(*) FROM drone.allocations WHERE state IN ('allocated', 'flying', 'delivered')") == 0,
                "a drone is still allocated to an ended delivery", sourceLocation: sourceLocation)
        #expect(try await system.count("SELECT count(*) FROM package.packages WHERE state = 'active'") == 0,
                "a package is still active for an ended delivery", sourceLocation: sourceLocation)

        // Every failure's compensations happened.
        let missingPackageCancellation = try await system.count("""
            SELECT count(*) FROM history.delivery_status s
            WHERE s.stage IN ('Rejected', 'Compensated', 'Cancelled')
              AND EXISTS (SELECT 1 FROM history.events e WHERE e.delivery_id = s.delivery_id AND e.event_type = 'package.created')
              AND NOT EXISTS (SELECT 1 FROM history.events e WHERE e.delivery_id = s.delivery_id AND e.event_type = 'package.cancelled')
            """)
        #expect(missingPackageCancellation == 0, "failed sagas whose package was never cancelled", sourceLocation: sourceLocation)
        let missingDroneRelease = try await system.count("""
            SELECT count(*) FROM history.delivery_status s
            WHERE EXISTS (SELECT 1 FROM history.events e WHERE e.delivery_id = s.delivery_id AND e.event_type = 'drone.allocated')
              AND NOT EXISTS (SELECT 1 FROM history.events e WHERE e.delivery_id = s.delivery_id AND e.event_type = 'drone.released')
            """)
        #expect(missingDroneRelease == 0, "sagas whose drone was never released", sourceLocation: sourceLocation)

        // Applied once: no event type twice in one saga, and every event a consumer takes is in its inbox once.
        let repeated = try await system.query("""
            SELECT delivery_id::text AS delivery, event_type, count(*) AS n FROM history.events
            GROUP BY delivery_id, event_type HAVING count(*) > 1
            """)
        let repeatedTypes = try repeated.map { try $0.decode(String.self, column: "event_type") }
        #expect(repeatedTypes.isEmpty, "an event type happened twice in one saga: \(repeatedTypes)", sourceLocation: sourceLocation)
        // Who consumes what comes from the event catalogue, the one the services' topology is built from.
        let consumers = [Producer.account, .package, .drone, .delivery].map { service in
            (service: service.rawValue, types: EventCatalog.consumedTypes(by: service).map(\.rawValue))
        }
        for (service, types) in consumers {
            let unhandled = try await system.count("""
                SELECT count(*) FROM history.events h
                WHERE h.event_type = ANY($1::text[]) AND NOT EXISTS (SELECT 1 FROM \(service).inbox i WHERE i.event_id = h.event_id)
                """, [.text("{" + types.joined(separator: ",") + "}")])
            #expect(unhandled == 0, "\(service) did not handle \(unhandled) of the events it consumes", sourceLocation: sourceLocation)
        }
        // The outcome history shows is the one the owning service (delivery) recorded.
        let disagreeing = try await system.query("""
            SELECT d.delivery_id::text AS delivery, d.state, s.stage FROM delivery.deliveries d
            JOIN history.delivery_status s USING (delivery_id)
            WHERE (d.state = 'cancelled') <> (s.stage = 'Cancelled') OR (d.state = 'completed') <> (s.stage = 'Completed')
            """)
        let disagreements = try disagreeing.map {
            "\(try $0.decode(String.self, column: "delivery")): delivery \(try $0.decode(String.self, column: "state")), history \(try $0.decode(String.self, column: "stage"))"
        }
        #expect(disagreements.isEmpty, "history disagrees with the delivery service: \(disagreements)", sourceLocation: sourceLocation)
        #expect(try await system.count("SELECT count(*) FROM history.events h WHERE NOT EXISTS (SELECT 1 FROM history.inbox i WHERE i.event_id = h.event_id)") == 0,
                sourceLocation: sourceLocation)

        if !parkedAllowed {
            let parked = try await system.parkedMessages().filter { $0.value > 0 }
            #expect(parked.isEmpty, "messages parked in dead-letter queues: \(parked)", sourceLocation: sourceLocation)
        }
    }
}
