package import Contracts
import Foundation

/// What one kind of drone can do.
package struct DroneModel: Sendable, Hashable {
    /// The heaviest package it carries, in kilograms.
    package var maxPayloadKg: Double
    /// How far it flies on one charge (a whole round trip), in kilometres.
    package var rangeKm: Double
    /// Its cruising speed, in kilometres per hour.
    package var speedKmh: Double

    /// A drone model; every figure is positive.
    package init(maxPayloadKg: Double, rangeKm: Double, speedKmh: Double) {
        self.maxPayloadKg = maxPayloadKg
        self.rangeKm = rangeKm
        self.speedKmh = speedKmh
    }
}

/// `count` drones of one model, one comma-separated group of a fleet specification.
package struct FleetGroup: Sendable, Hashable {
    /// How many drones of the model (at least one).
    package var count: Int
    /// The model.
    package var model: DroneModel

    /// A group.
    package init(count: Int, model: DroneModel) {
        self.count = count
        self.model = model
    }
}

/// One drone of the configured fleet: its id, model and home base.
package struct FleetDrone: Sendable, Hashable {
    /// `drone-001`, `drone-002`, … in the order of the specification.
    package var droneId: String
    /// What it can do.
    package var model: DroneModel
    /// Where it is based (it starts and ends every flight there).
    package var home: GeoLocation

    /// A drone.
    package init(droneId: String, model: DroneModel, home: GeoLocation) {
        self.droneId = droneId
        self.model = model
        self.home = home
    }
}

/// The fleet as `DRONE_FLEET` states it: comma-separated groups `COUNTxPAYLOADkg/RANGEkm/SPEEDkmh`,
/// e.g. `10x5kg/30km/60kmh,12x12kg/50km/70kmh,8x25kg/80km/50kmh` (10 drones carrying 5 kg over
/// 30 km at 60 km/h, …). Counts are whole numbers ≥ 1 (at most 999 drones in all); payload,
/// range and speed are positive decimal numbers with their unit written after them; spaces
/// around groups and parts are ignored.
package struct FleetSpecification: Sendable, Hashable, CustomStringConvertible {
    /// The groups, in order; drone ids are numbered through them.
    package var groups: [FleetGroup]

    /// The most drones a fleet may have (ids have three digits).
    package static let maximumDroneCount = 999

    /// The default fleet: 10 × (5 kg, 30 km, 60 km/h), 12 × (12 kg, 50 km, 70 km/h),
    /// 8 × (25 kg, 80 km, 50 km/h) — drone-001 … drone-030.
    package static let standard = FleetSpecification(groups: [
        FleetGroup(count: 10, model: DroneModel(maxPayloadKg: 5, rangeKm: 30, speedKmh: 60)),
        FleetGroup(count: 12, model: DroneModel(maxPayloadKg: 12, rangeKm: 50, speedKmh: 70)),
        FleetGroup(count: 8, model: DroneModel(maxPayloadKg: 25, rangeKm: 80, speedKmh: 50)),
    ])

    /// A fleet of the given groups (not validated; use `init(parsing:)` for configuration text).
    package init(groups: [FleetGroup]) {
        self.groups = groups
    }

    /// Parses the `DRONE_FLEET` format; the error names the group and what is wrong with it.
    package init(parsing text: String) throws(DroneServiceError) {
        let pieces = text.split(separator: ",", omittingEmptySubsequences: false).map(Self.trimmed)
        guard !(pieces.count == 1 && pieces[0].isEmpty) else {
            throw Self.invalid(text, "it is empty; give at least one group such as 10x5kg/30km/60kmh")
        }
        var groups: [FleetGroup] = []
        for (index, piece) in pieces.enumerated() {
            groups.append(try Self.group(piece, number: index + 1, of: text))
        }
        let total = groups.reduce(0) { $0 + $1.count }
        guard total <= Self.maximumDroneCount else {
            throw Self.invalid(text, "it has \(total) drones; at most \(Self.maximumDroneCount) are supported")
        }
        self.groups = groups
    }

    /// The specification in the `DRONE_FLEET` format (parses back to the same fleet).
    package var description: String {
        groups.map { group in
            "\(group.count)x\(Self.number(group.model.maxPayloadKg))kg/\(Self.number(group.model.rangeKm))km/\(Self.number(group.model.speedKmh))kmh"
        }.joined(separator: ",")
    }

    /// How many drones the fleet has.
    package var droneCount: Int { groups.reduce(0) { $0 + $1.count } }

    /// The drones, `drone-001` onwards in group order, with homes spread deterministically over a
    /// disc of `radiusKm` around `centre` (a sunflower spiral: even coverage, no two alike).
    package func drones(around centre: GeoLocation, radiusKm: Double = 5) -> [FleetDrone] {
        let models = groups.flatMap { group in Array(repeating: group.model, count: group.count) }
        let goldenAngle = 180 * (3 - 5.0.squareRoot())
        return models.enumerated().map { index, model in
            let distance = radiusKm * ((Double(index) + 0.5) / Double(models.count)).squareRoot()
            let bearing = (Double(index) * goldenAngle).truncatingRemainder(dividingBy: 360)
            return FleetDrone(
                droneId: Self.droneId(number: index + 1), model: model,
                home: GreatCircle.destination(from: centre, distanceKm: distance, bearingDegrees: bearing))
        }
    }

    /// The id of the `number`th drone (from 1): `drone-001`.
    package static func droneId(number: Int) -> String {
        let digits = String(number)
        return "drone-" + String(repeating: "0", count: max(0, 3 - digits.count)) + digits
    }

    // MARK: Parsing

    private static func group(_ piece: String, number: Int, of text: String) throws(DroneServiceError) -> FleetGroup {
        let expected = "expected COUNTxPAYLOADkg/RANGEkm/SPEEDkmh such as 10x5kg/30km/60kmh"
        guard !piece.isEmpty else { throw invalid(text, "group \(number) is empty; \(expected)") }
        let countAndRest = piece.split(separator: "x", maxSplits: 1, omittingEmptySubsequences: false).map(trimmed)
        guard countAndRest.count == 2 else {
            throw invalid(text, "group \(number) ('\(piece)') has no 'x' after the count; \(expected)")
        }
        guard countAndRest[0].allSatisfy(\.isASCIIDigit), let count = Int(countAndRest[0]), count >= 1 else {
            throw invalid(text, "group \(number) ('\(piece)') has count '\(countAndRest[0])'; the count is a whole number ≥ 1")
        }
        let parts = countAndRest[1].split(separator: "/", omittingEmptySubsequences: false).map(trimmed)
        guard parts.count == 3 else {
            throw invalid(text, "group \(number) ('\(piece)') has \(parts.count) '/'-separated figures, not 3; \(expected)")
        }
        func figure(_ part: String, unit: String, name: String) throws(DroneServiceError) -> Double {
            guard part.hasSuffix(unit) else {
                throw invalid(text, "group \(number) ('\(piece)') gives the \(name) as '\(part)'; write it in \(unit), e.g. 12\(unit)")
            }
            let digits = trimmed(String(part.dropLast(unit.count)))
            guard !digits.isEmpty, digits.allSatisfy({ $0.isASCIIDigit || $0 == "." }),
                  let value = Double(digits), value.isFinite, value > 0
            else {
                throw invalid(text, "group \(number) ('\(piece)') has \(name) '\(part)'; it must be a positive number of \(unit)")
            }
            return value
        }
        let model = DroneModel(
            maxPayloadKg: try figure(parts[0], unit: "kg", name: "payload"),
            rangeKm: try figure(parts[1], unit: "km", name: "range"),
            speedKmh: try figure(parts[2], unit: "kmh", name: "speed"))
        return FleetGroup(count: count, model: model)
    }

    private static func invalid(_ text: String, _ problem: String) -> DroneServiceError {
        DroneServiceError(.invalidSetting, "DRONE_FLEET '\(text)' is invalid: \(problem)")
    }

    private static func trimmed(_ text: some StringProtocol) -> String {
        text.trimmingCharacters(in: .whitespaces)
    }

    private static func number(_ value: Double) -> String {
        value.rounded() == value && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }
}

extension Character {
    /// Whether this is one of the ASCII digits 0–9.
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}
