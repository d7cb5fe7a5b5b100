package import Contracts
import Foundation

/// Computes a delivery's status from its events, with no I/O: the join of their contributions
/// (``DeliveryStatusSummary``), so the result depends only on the set of events, never on the
/// order they arrived in or on repetitions.
package enum DeliveryStatusProjection {
    /// The status of the delivery whose events these are (all of one delivery, in any order);
    /// `nil` for no events.
    package static func project(_ events: [AnyEventEnvelope]) -> DeliveryStatus? {
        guard let first = events.first else { return nil }
        return DeliveryStatusSummary(folding: events).status(deliveryId: first.deliveryId)
    }
}
