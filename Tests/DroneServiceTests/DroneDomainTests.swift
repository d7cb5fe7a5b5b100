import Choreography
import Contracts
import DroneService
import Foundation
import Testing

/// The drone service's pure domain rules: distances, range, ETAs, the fleet format, the choice of drone.
@Suite("Drone domain")
struct DroneDomainTests {
    static let seattle = GeoLocation(latitude: 47.6062, longitude: -122.3321)
    static let tacoma = GeoLocation(latitude: 47.2529, longitude: -122.4443)

    // MARK: Distance

    @Test("great-circle distances match known pairs")
    func knownDistances() {
        // Downtown Seattle to downtown Tacoma: about 40.2 km as the crow flies.
        #expect(abs(GreatCircle.distanceKm(from: Self.seattle, to: Self.tacoma) - 40.2) < 1)
        // London to Paris: about 343.5 km.
        let london = GeoLocation(latitude: 51.5074, longitude: -0.1278)
        let paris = GeoLocation(latitude: 48.8566, longitude: 2.3522)
        #expect(abs(GreatCircle.distanceKm(from: london, to: paris) - 343.5) < 1)
        // One degree of latitude is about 111.2 km anywhere.
        let north = GeoLocation(latitude: 48.6062, longitude: -122.3321)
        #expect(abs(GreatCircle.distanceKm(from: Self.seattle, to: north) - 111.2) < 0.1)
        // Across the antimeridian: 0.2° of longitude on the equator, not 359.8°.
        let west = GeoLocation(latitude: 0, longitude: 179.9)
        let east = GeoLocation(latitude: 0, longitude: -179.9)
        #expect(abs(GreatCircle.distanceKm(from: west, to: east) - 22.24) < 0.1)
    }

    @Test("distance is zero to itself and symmetric")
    func distanceProperties() {
        #expect(GreatCircle.distanceKm(from: Self.seattle, to: Self.seattle) == 0)
        let there = GreatCircle.distanceKm(from: Self.seattle, to: Self.tacoma)
        let back = GreatCircle.distanceKm(from: Self.tacoma, to: Self.seattle)
        #expect(abs(there - back) < 1e-9)
    }

    @Test("a destination lies at the distance and bearing asked for")
    func destination() {
        for bearing in stride(from: 0.0, to: 360, by: 45) {
            let point = GreatCircle.destination(from: Self.seattle, distanceKm: 12.5, bearingDegrees: bearing)
            #expect(abs(GreatCircle.distanceKm(from: Self.seattle, to: point) - 12.5) < 1e-6)
        }
        let north = GreatCircle.destination(from: Self.seattle, distanceKm: 10, bearingDegrees: 0)
        #expect(north.latitude > Self.seattle.latitude)
        #expect(abs(north.longitude - Self.seattle.longitude) < 1e-9)
        let east = GreatCircle.destination(from: Self.seattle, distanceKm: 10, bearingDegrees: 90)
        #expect(east.longitude > Self.seattle.longitude)
    }

    // MARK: Range and ETAs

    @Test("range needed is home → pickup → drop-off → home")
    func rangeNeeded() {
        let pickup = GreatCircle.destination(from: Self.seattle, distanceKm: 3, bearingDegrees: 0)
        let dropoff = GreatCircle.destination(from: Self.seattle, distanceKm: 4, bearingDegrees: 90)
        let route = DeliveryRoute(pickup: pickup, dropoff: dropoff)
        let legs = GreatCircle.distanceKm(from: Self.seattle, to: pickup) + GreatCircle.distanceKm(from: pickup, to: dropoff)
            + GreatCircle.distanceKm(from: dropoff, to: Self.seattle)
        #expect(abs(route.rangeNeededKm(from: Self.seattle) - legs) < 1e-9)
        // Roughly a 3-4-5 triangle on this scale.
        #expect(abs(route.rangeNeededKm(from: Self.seattle) - 12) < 0.05)
        // Based at the pickup point: there and back.
        #expect(abs(route.rangeNeededKm(from: pickup) - 2 * route.pickupToDropoffKm) < 1e-9)
    }

    @Test("ETAs start at the later of now and the pickup time and follow the drone's speed")
    func estimatedTimes() {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let home = Self.seattle
        let pickup = GreatCircle.destination(from: home, distanceKm: 30, bearingDegrees: 180)
        let dropoff = GreatCircle.destination(from: pickup, distanceKm: 15, bearingDegrees: 180)
        let route = DeliveryRoute(pickup: pickup, dropoff: dropoff)

        // Pickup time in the past: the drone leaves now; 30 km at 60 km/h is 30 minutes.
        let soon = FlightTimes.estimate(now: now, pickupTime: now.addingTimeInterval(-3600), home: home, route: route, speedKmh: 60)
        #expect(abs(soon.pickupEta.timeIntervalSince(now) - 1800) < 0.01)
        #expect(abs(soon.dropoffEta.timeIntervalSince(soon.pickupEta) - 900) < 0.01)

        // Pickup time in the future: counted from the pickup time.
        let later = now.addingTimeInterval(7200)
        let planned = FlightTimes.estimate(now: now, pickupTime: later, home: home, route: route, speedKmh: 120)
        #expect(abs(planned.pickupEta.timeIntervalSince(later) - 900) < 0.01)
        #expect(abs(planned.dropoffEta.timeIntervalSince(planned.pickupEta) - 450) < 0.01)

        // Whole milliseconds, as events carry them.
        let odd = FlightTimes.estimate(now: now.addingTimeInterval(0.0004567), pickupTime: now, home: home, route: route, speedKmh: 61)
        #expect((odd.pickupEta.timeIntervalSince1970 * 1000).rounded() == odd.pickupEta.timeIntervalSince1970 * 1000)
    }

    @Test("the flight simulation scales real durations and never fires in the past")
    func flightSimulation() {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let times = FlightTimes(pickupEta: now.addingTimeInterval(600), dropoffEta: now.addingTimeInterval(1500))
        #expect(FlightSimulation(timeScale: 1).pickupDate(now: now, times: times) == times.pickupEta)
        #expect(FlightSimulation(timeScale: 0.1).pickupDate(now: now, times: times) == now.addingTimeInterval(60))
        #expect(FlightSimulation(timeScale: 0).pickupDate(now: now, times: times) == now)
        #expect(FlightSimulation(timeScale: 1).dropoffDate(now: now, times: times) == now.addingTimeInterval(900))
        #expect(FlightSimulation(timeScale: 0.5).dropoffDate(now: now, times: times) == now.addingTimeInterval(450))
        let overdue = FlightTimes(pickupEta: now.addingTimeInterval(-60), dropoffEta: now.addingTimeInterval(-120))
        #expect(FlightSimulation(timeScale: 1).pickupDate(now: now, times: overdue) == now)
        #expect(FlightSimulation(timeScale: 1).dropoffDate(now: now, times: overdue) == now)
    }

    // MARK: Fleet specification

    @Test("the default DRONE_FLEET text parses to the standard fleet and back")
    func standardFleet() throws {
        let text = "10x5kg/30km/60kmh,12x12kg/50km/70kmh,8x25kg/80km/50kmh"
        let fleet = try FleetSpecification(parsing: text)
        #expect(fleet == .standard)
        #expect(fleet.description == text)
        #expect(fleet.droneCount == 30)
        #expect(fleet.groups[1] == FleetGroup(count: 12, model: DroneModel(maxPayloadKg: 12, rangeKm: 50, speedKmh: 70)))
    }

    @Test("fleet specifications with spaces and decimals parse")
    func flexibleFleet() throws {
        let fleet = try FleetSpecification(parsing: " 2 x 2.5kg / 10.5km / 40kmh , 1x25kg/80km/50kmh ")
        #expect(fleet.groups == [
            FleetGroup(count: 2, model: DroneModel(maxPayloadKg: 2.5, rangeKm: 10.5, speedKmh: 40)),
            FleetGroup(count: 1, model: DroneModel(maxPayloadKg: 25, rangeKm: 80, speedKmh: 50)),
        ])
        #expect(try FleetSpecification(parsing: fleet.description) == fleet)
    }

    @Test("malformed fleet specifications are refused with a message naming the problem", arguments: [
        ("", "empty"),
        ("   ", "empty"),
        ("10x5kg/30km", "3"),
        ("10x5kg/30km/60kmh/5kg", "3"),
        ("x5kg/30km/60kmh", "count"),
        ("0x5kg/30km/60kmh", "count"),
        ("-1x5kg/30km/60kmh", "count"),
        ("ten x5kg/30km/60kmh", "count"),
        ("10*5kg/30km/60kmh", "'x'"),
        ("10x5/30km/60kmh", "payload"),
        ("10x0kg/30km/60kmh", "payload"),
        ("10x-5kg/30km/60kmh", "payload"),
        ("10x5kg/30mi/60kmh", "range"),
        ("10x5kg/infkm/60kmh", "range"),
        ("10x5kg/30km/60mph", "speed"),
        ("10x5kg/30km/0x10kmh", "speed"),
        ("10x5kg/30km/60kmh,", "group 2"),
        ("10x5kg/30km/60kmh,,2x5kg/30km/60kmh", "group 2"),
        ("1000x5kg/30km/60kmh", "999"),
    ])
    func invalidFleets(text: String, mentions: String) {
        do {
            let fleet = try FleetSpecification(parsing: text)
            Issue.record("'\(text)' parsed as \(fleet)")
        } catch {
            #expect(error.key == "DRONE_FLEET")
            #expect(error.message.contains(mentions), "\(error.message)")
        }
    }

    @Test("drone ids are numbered through the groups and homes spread within 5 km, deterministically")
    func fleetLayout() {
        let drones = FleetSpecification.standard.drones(around: Self.seattle)
        #expect(drones.count == 30)
        #expect(drones.map(\.droneId) == (1...30).map { String(format: "drone-%03d", $0) })
        #expect(drones[9].model.maxPayloadKg == 5)
        #expect(drones[10].model.maxPayloadKg == 12)
        #expect(drones[29].model.maxPayloadKg == 25)
        for drone in drones {
            #expect(GreatCircle.distanceKm(from: Self.seattle, to: drone.home) <= 5.000001)
        }
        #expect(Set(drones.map(\.home)).count == 30)
        // Spread out, not piled up: no two homes within 300 m.
        for (index, drone) in drones.enumerated() {
            for other in drones[(index + 1)...] {
                #expect(GreatCircle.distanceKm(from: drone.home, to: other.home) > 0.3, "\(drone.droneId) and \(other.droneId)")
            }
        }
        #expect(FleetSpecification.standard.drones(around: Self.seattle) == drones)
        #expect(FleetSpecification.droneId(number: 7) == "drone-007")
    }

    // MARK: Settings

    @Test("settings default as documented and read the environment")
    func settings() throws {
        let defaults = try DroneSettings.fromEnvironment([:])
        #expect(defaults == DroneSettings())
        #expect(defaults.fleet == .standard)
        #expect(defaults.home == GeoLocation(latitude: 47.6062, longitude: -122.3321))
        #expect(defaults.timeScale == 1.0)

        let custom = try DroneSettings.fromEnvironment([
            "DRONE_FLEET": "3x5kg/30km/60kmh", "DRONE_HOME": "45.5152, -122.6784", "DRONE_TIME_SCALE": "0",
        ])
        #expect(custom.fleet.droneCount == 3)
        #expect(custom.home == GeoLocation(latitude: 45.5152, longitude: -122.6784))
        #expect(custom.timeScale == 0)
    }

    @Test("malformed settings are refused naming the key", arguments: [
        ("DRONE_TIME_SCALE", "-1"),
        ("DRONE_TIME_SCALE", "fast"),
        ("DRONE_TIME_SCALE", "nan"),
        ("DRONE_HOME", "47.6"),
        ("DRONE_HOME", "95,0"),
        ("DRONE_HOME", "47.6,-200"),
        ("DRONE_HOME", "north,west"),
        ("DRONE_FLEET", "lots of drones"),
    ])
    func invalidSettings(key: String, value: String) {
        do {
            let settings = try DroneSettings.fromEnvironment([key: value])
            Issue.record("\(key)=\(value) gave \(settings)")
        } catch {
            #expect(error.key == key, "\(error)")
            #expect(error.message.contains("'\(value)'"), "\(error)")
        }
    }

    // MARK: Choosing a drone

    /// A small fleet around Seattle: two 5 kg drones 1 and 2 km north, a 12 kg drone 3 km north,
    /// a 25 kg drone 4 km north.
    static func fleet(idle: Set<String> = ["a", "b", "c", "d"]) -> [DroneCandidate] {
        func drone(_ id: String, _ payload: Double, _ range: Double, kmNorth: Double) -> DroneCandidate {
            DroneCandidate(
                droneId: id, model: DroneModel(maxPayloadKg: payload, rangeKm: range, speedKmh: 60),
                home: GreatCircle.destination(from: seattle, distanceKm: kmNorth, bearingDegrees: 0), isIdle: idle.contains(id))
        }
        return [drone("d", 25, 80, kmNorth: 4), drone("b", 5, 30, kmNorth: 2), drone("c", 12, 50, kmNorth: 3), drone("a", 5, 30, kmNorth: 1)]
    }

    static func route(dropoffKmSouth: Double) -> DeliveryRoute {
        DeliveryRoute(pickup: seattle, dropoff: GreatCircle.destination(from: seattle, distanceKm: dropoffKmSouth, bearingDegrees: 180))
    }

    static func chosenIds(_ choice: DroneChoice) -> [String] {
        guard case .candidates(let ranked) = choice else { return [] }
        return ranked.map(\.drone.droneId)
    }

    @Test("the nearest idle drone with the payload and range comes first")
    func nearestFirst() {
        let choice = DroneAllocator.choose(among: Self.fleet(), weightKg: 2, route: Self.route(dropoffKmSouth: 5))
        #expect(Self.chosenIds(choice) == ["a", "b", "c", "d"])
        guard case .candidates(let ranked) = choice else { return }
        #expect(abs(ranked[0].distanceToPickupKm - 1) < 1e-6)
        #expect(abs(ranked[0].rangeNeededKm - 12) < 1e-6)
    }

    @Test("busy drones, too-weak drones and drones without the range are passed over")
    func filters() {
        // a is busy: b is next.
        #expect(Self.chosenIds(DroneAllocator.choose(
            among: Self.fleet(idle: ["b", "c", "d"]), weightKg: 2, route: Self.route(dropoffKmSouth: 5))).first == "b")
        // 8 kg: only c and d carry it.
        #expect(Self.chosenIds(DroneAllocator.choose(among: Self.fleet(), weightKg: 8, route: Self.route(dropoffKmSouth: 5))) == ["c", "d"])
        // Exactly the payload is enough.
        #expect(Self.chosenIds(DroneAllocator.choose(among: Self.fleet(), weightKg: 12, route: Self.route(dropoffKmSouth: 5))) == ["c", "d"])
        // A 20 km drop-off needs 42+ km: the 5 kg drones (30 km) cannot, c (50 km) and d (80 km) can.
        #expect(Self.chosenIds(DroneAllocator.choose(among: Self.fleet(), weightKg: 1, route: Self.route(dropoffKmSouth: 20))) == ["c", "d"])
        // A 30 km drop-off needs 63+ km: only d.
        #expect(Self.chosenIds(DroneAllocator.choose(among: Self.fleet(), weightKg: 1, route: Self.route(dropoffKmSouth: 30))) == ["d"])
    }

    @Test("equally near drones are ranked by id")
    func tiesById() {
        let home = Self.seattle
        let fleet = ["z", "m", "b"].map {
            DroneCandidate(droneId: $0, model: DroneModel(maxPayloadKg: 5, rangeKm: 30, speedKmh: 60), home: home, isIdle: true)
        }
        #expect(Self.chosenIds(DroneAllocator.choose(among: fleet, weightKg: 1, route: Self.route(dropoffKmSouth: 1))) == ["b", "m", "z"])
    }

    @Test("each failure code names the right reason")
    func failureCodes() {
        func code(_ choice: DroneChoice) -> DroneAllocationFailed.Code? {
            if case .unavailable(let code, _) = choice { return code }
            return nil
        }
        // Heavier than every drone.
        let heavy = DroneAllocator.choose(among: Self.fleet(), weightKg: 26, route: Self.route(dropoffKmSouth: 5))
        #expect(code(heavy) == .noDroneWithCapacity)
        if case .unavailable(_, let message) = heavy { #expect(message.contains("25 kg")) }
        #expect(code(DroneAllocator.choose(among: [], weightKg: 1, route: Self.route(dropoffKmSouth: 5))) == .noDroneWithCapacity)
        // 200 km away: no drone has the range.
        #expect(code(DroneAllocator.choose(among: Self.fleet(), weightKg: 1, route: Self.route(dropoffKmSouth: 200))) == .noDroneInRange)
        // 20 kg with a drop-off 45 km south: only d carries it, and the trip (98 km) is over its 80 km.
        #expect(code(DroneAllocator.choose(among: Self.fleet(), weightKg: 20, route: Self.route(dropoffKmSouth: 45))) == .noDroneInRange)
        // The range check is among drones with the payload: a weak drone with range does not count.
        let weakLongRange = [DroneCandidate(
            droneId: "w", model: DroneModel(maxPayloadKg: 1, rangeKm: 1000, speedKmh: 60), home: Self.seattle, isIdle: true)]
            + Self.fleet()
        #expect(code(DroneAllocator.choose(among: weakLongRange, weightKg: 20, route: Self.route(dropoffKmSouth: 45))) == .noDroneInRange)
        // Capable drones exist but are all busy (the idle ones are too weak).
        #expect(code(DroneAllocator.choose(
            among: Self.fleet(idle: ["a", "b"]), weightKg: 10, route: Self.route(dropoffKmSouth: 5))) == .noDroneAvailable)
        #expect(code(DroneAllocator.choose(among: Self.fleet(idle: []), weightKg: 1, route: Self.route(dropoffKmSouth: 5))) == .noDroneAvailable)
    }
}
