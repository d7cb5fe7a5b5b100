import Postgres
import Synchronization

/// The fleet's fixed part (each drone's capabilities and home), read from `drones` once and kept
/// in memory, so an allocation ranks the fleet without reading it. Only `drones.state` changes
/// while the service runs, and the database stays its authority: the allocation's reservation
/// reads it under lock. Drones another instance seeds later are found when an allocation finds
/// no idle drone, which reads the whole fleet again (see `DroneFlights.allocateNow`).
final class FleetSnapshot: Sendable {
    private let drones = Mutex<[DroneCandidate]?>(nil)

    /// The fleet as last read, every drone counted as idle; read from the database on first use.
    func fleet(_ db: isolated PostgresConnection) throws -> [DroneCandidate] {
        if let known = drones.withLock({ $0 }) { return known }
        return try refreshed(db).map(\.countedIdle)
    }

    /// Reads the whole fleet, with each drone's current state, and keeps its fixed part.
    func refreshed(_ db: isolated PostgresConnection) throws -> [DroneCandidate] {
        let fleet = try DroneTables.fleet(db)
        drones.withLock { $0 = fleet.map(\.countedIdle) }
        return fleet
    }
}

extension DroneCandidate {
    /// The same drone, counted as idle (the snapshot keeps only what does not change).
    fileprivate var countedIdle: DroneCandidate {
        var drone = self
        drone.isIdle = true
        return drone
    }
}
