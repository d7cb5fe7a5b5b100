package import Contracts
import Foundation

/// A delivery's route: where the package is picked up and where it is dropped off.
package struct DeliveryRoute: Sendable, Hashable {
    /// The pickup point.
    package var pickup: GeoLocation
    /// The drop-off point.
    package var dropoff: GeoLocation

    /// A route.
    package init(pickup: GeoLocation, dropoff: GeoLocation) {
        self.pickup = pickup
        self.dropoff = dropoff
    }

    /// Kilometres from the pickup to the drop-off.
    package var pickupToDropoffKm: Double { GreatCircle.distanceKm(from: pickup, to: dropoff) }

    /// Kilometres a drone based at `home` flies for this route: home → pickup → drop-off → home.
    package func rangeNeededKm(from home: GeoLocation) -> Double {
        distancesKm(from: home, pickupToDropoffKm: pickupToDropoffKm).rangeNeeded
    }

    /// Kilometres from `home` to the pickup, and the whole flight (``rangeNeededKm(from:)``),
    /// given the route's own leg (``pickupToDropoffKm``), which a ranking of many drones computes once.
    package func distancesKm(from home: GeoLocation, pickupToDropoffKm: Double) -> (toPickup: Double, rangeNeeded: Double) {
        let toPickup = GreatCircle.distanceKm(from: home, to: pickup)
        return (toPickup, toPickup + pickupToDropoffKm + GreatCircle.distanceKm(from: dropoff, to: home))
    }
}
