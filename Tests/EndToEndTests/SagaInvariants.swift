import Foundation
import IntegrationSupport
import Postgres
import Testing

/// The invariants every end-to-end test checks when its sagas have ended (DESIGN.md section 2):
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
        let consumers: [(service: String, types: [String])] = [
            ("account", ["delivery.requested"]),
            ("package", ["delivery.requested", "account.rejected", "drone.allocation-failed", "delivery.scheduling-failed", "delivery.cancelled"]),
            ("drone", ["package.created", "account.rejected", "delivery.scheduling-failed", "delivery.cancelled", "delivery.scheduled", "delivery.completed"]),
            ("delivery", ["account.validated", "account.rejected", "package.rejected", "drone.allocated", "drone.allocation-failed",
                          "drone.picked-up", "drone.delivered", "delivery.cancellation-requested"]),
        ]
        for (service, types) in consumers {
            let unhandled = try await system.count("""
                SELECT count(*) FROM history.events h
                WHERE h.event_type = ANY($1::text[]) AND NOT EXISTS (SELECT 1 FROM \(service).inbox i WHERE i.event_id = h.event_id)
                """, [.text("{" + types.joined(separator: ",") + "}")])
            #expect(unhandled == 0, "\(service) did not handle \(unhandled) of the events it consumes", sourceLocation: sourceLocation)
        }
        #expect(try await system.count("SELECT count(*) FROM history.events h WHERE NOT EXISTS (SELECT 1 FROM history.inbox i WHERE i.event_id = h.event_id)") == 0,
                sourceLocation: sourceLocation)

        if !parkedAllowed {
            let parked = try await system.parkedMessages().filter { $0.value > 0 }
            #expect(parked.isEmpty, "messages parked in dead-letter queues: \(parked)", sourceLocation: sourceLocation)
        }
    }
}
