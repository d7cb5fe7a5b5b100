package import Contracts

/// The weight limits the package rules check, in kilograms.
package struct PackageLimits: Sendable, Hashable {
    /// Heaviest small package (`PACKAGE_MAX_WEIGHT_SMALL_KG`, 2).
    package var smallMaxKg: Double
    /// Heaviest medium package (`PACKAGE_MAX_WEIGHT_MEDIUM_KG`, 10).
    package var mediumMaxKg: Double
    /// Heaviest large package (`PACKAGE_MAX_WEIGHT_LARGE_KG`, 25).
    package var largeMaxKg: Double
    /// The largest drone's payload (`PACKAGE_MAX_PAYLOAD_KG`, 25): nothing heavier can fly.
    package var maxPayloadKg: Double

    /// Limits; the defaults are the README's.
    package init(smallMaxKg: Double = 2, mediumMaxKg: Double = 10, largeMaxKg: Double = 25, maxPayloadKg: Double = 25) {
        self.smallMaxKg = smallMaxKg
        self.mediumMaxKg = mediumMaxKg
        self.largeMaxKg = largeMaxKg
        self.maxPayloadKg = maxPayloadKg
    }

    /// The heaviest package of a size class.
    package func maxWeightKg(for size: PackageSize) -> Double {
        switch size {
        case .small: smallMaxKg
        case .medium: mediumMaxKg
        case .large: largeMaxKg
        }
    }
}

/// The package service's domain rule, without I/O: may this package be flown?
package enum PackageRules {
    /// The message of a rejection the fault injection forces.
    package static let injectedFaultMessage = "injected fault (FAULT_FORWARD_FAILURE_PROBABILITY)"

    /// `nil` when the package is fine; otherwise the rule it breaks, checked in order: weight not
    /// above 0 (`NON_POSITIVE_WEIGHT`), above the largest payload (`OVERWEIGHT`), above its size's
    /// limit (`INVALID_SIZE`). Limits are inclusive: exactly 2 kg is a valid small package.
    package static func check(_ info: PackageInfo, limits: PackageLimits) -> PackageRejected.Code? {
        guard info.weightKg > 0 else { return .nonPositiveWeight }
        if info.weightKg > limits.maxPayloadKg { return .overweight }
        if info.weightKg > limits.maxWeightKg(for: info.size) { return .invalidSize }
        return nil
    }

    /// A human-readable message for the rule `code` that `info` breaks.
    package static func message(for code: PackageRejected.Code, _ info: PackageInfo, limits: PackageLimits) -> String {
        let weight = kilograms(info.weightKg)
        return switch code {
        case .nonPositiveWeight:
            "A package must weigh more than 0 kg; \(weight) kg was given."
        case .overweight:
            "\(weight) kg is over the largest drone's payload of \(kilograms(limits.maxPayloadKg)) kg."
        case .invalidSize:
            "\(weight) kg is over the \(info.size.rawValue) size limit of \(kilograms(limits.maxWeightKg(for: info.size))) kg."
        }
    }

    /// `2`, `2.01`: whole numbers without a fraction.
    static func kilograms(_ value: Double) -> String {
        if value.isFinite, value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }
}
