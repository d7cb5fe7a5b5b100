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
        let ranked = strongEnough.map { drone in
            RankedDrone(
                drone: drone, distanceToPickupKm: GreatCircle.distanceKm(from: drone.home, to: route.pickup),
                rangeNeededKm: route.rangeNeededKm(from: drone.home))
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
        let idle = capable.filter(\.drone.isIdle).sorted { left, right in
            left.distanceToPickupKm != right.distanceToPickupKm
                ? left.distanceToPickupKm < right.distanceToPickupKm : left.drone.droneId < right.drone.droneId
        }
        guard !idle.isEmpty else { return .unavailable(.noDroneAvailable, busyMessage(capableCount: capable.count)) }
        return .candidates(idle)
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
