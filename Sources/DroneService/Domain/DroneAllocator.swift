package import Contracts
import Foundation

/// A drone as the allocator sees it: what it can do, where it is based, and whether it is free.
package struct DroneCandidate: Sendable, Hashable {
    /// The drone's id.
    package var droneId: String
    /// What it can do.
    package var model: DroneModel
    /// Its home base.
    package var home: GeoLocation
    /// Whether it is in the pool (state `idle`).
    package var isIdle: Bool

    /// A candidate.
    package init(droneId: String, model: DroneModel, home: GeoLocation, isIdle: Bool) {
        self.droneId = droneId
        self.model = model
        self.home = home
        self.isIdle = isIdle
    }
}

/// A drone that can fly a delivery, with the figures that ranked it.
package struct RankedDrone: Sendable, Hashable {
    /// The drone.
    package var drone: DroneCandidate
    /// Kilometres from its home to the pickup point (the ranking key).
    package var distanceToPickupKm: Double
    /// Kilometres the whole round trip takes.
    package var rangeNeededKm: Double
}

/// What the allocator decided for a delivery.
package enum DroneChoice: Sendable, Hashable {
    /// Idle drones with the payload and the range, nearest to the pickup first (ties by id).
    /// Try them in order: another transaction may take one first.
    case candidates([RankedDrone])
    /// No drone can be allocated, with the reason code and a readable message.
    case unavailable(DroneAllocationFailed.Code, String)
}

/// Chooses drones for a delivery: the nearest idle drone (to the pickup) whose payload and range
/// are enough. Pure: no I/O; the caller locks the chosen row.
package enum DroneAllocator {
    /// Ranks `fleet` (every drone, busy or not) for a package of `weightKg` on `route`.
    ///
    /// The failure codes distinguish why: `NO_DRONE_WITH_CAPACITY` when no drone of the fleet
    /// carries the weight, `NO_DRONE_IN_RANGE` when none of those has the range for the round trip
    /// home → pickup → drop-off → home, `NO_DRONE_AVAILABLE` when capable drones exist but all are busy.
    package static func choose(among fleet: [DroneCandidate], weightKg: Double, route: DeliveryRoute) -> DroneChoice {
        let strongEnough = fleet.filter { $0.model.maxPayloadKg >= weightKg }
        guard !strongEnough.isEmpty else {
            let largest = fleet.map(\.model.maxPayloadKg).max()
            return .unavailable(.noDroneWithCapacity, largest.map {
                "No drone can carry \(kilograms(weightKg)) kg; the largest payload is \(kilograms($0)) kg."
            } ?? "The fleet has no drones.")
        }
        let pickupToDropoffKm = route.pickupToDropoffKm
        let ranked = strongEnough.map { drone in
            let distances = route.distancesKm(from: drone.home, pickupToDropoffKm: pickupToDropoffKm)
            return RankedDrone(drone: drone, distanceToPickupKm: distances.toPickup, rangeNeededKm: distances.rangeNeeded)
        }
        let capable = ranked.filter { $0.rangeNeededKm <= $0.drone.model.rangeKm }
        guard !capable.isEmpty else {
            let shortest = ranked.map(\.rangeNeededKm).min() ?? 0
            let longest = strongEnough.map(\.model.rangeKm).max() ?? 0
            return .unavailable(.noDroneInRange, """
                No drone that can carry \(kilograms(weightKg)) kg has the range for this route: \
                it needs at least \(kilometres(shortest)) km, the longest range is \(kilometres(longest)) km.
                """)
        }
        let idle = capable.filter(\.drone.isIdle)
        guard !idle.isEmpty else { return .unavailable(.noDroneAvailable, busyMessage(capableCount: capable.count)) }
        // Sorted by position rather than moving whole drones (and their ids' references) about:
        // a fleet of hundreds is ranked for every allocation.
        let distances = idle.map(\.distanceToPickupKm)
        let order = idle.indices.sorted { left, right in
            distances[left] != distances[right] ? distances[left] < distances[right] : idle[left].drone.droneId < idle[right].drone.droneId
        }
        return .candidates(order.map { idle[$0] })
    }

    /// The message for `NO_DRONE_AVAILABLE` when all `capableCount` capable drones are busy.
    package static func busyMessage(capableCount: Int) -> String {
        capableCount == 1
            ? "The only drone with the payload and range for this delivery is busy."
            : "All \(capableCount) drones with the payload and range for this delivery are busy."
    }

    private static func kilograms(_ value: Double) -> String {
        value.rounded() == value && abs(value) < 1e9 ? String(Int(value)) : String(format: "%.2f", value)
    }

    private static func kilometres(_ value: Double) -> String { String(format: "%.1f", value) }
}
