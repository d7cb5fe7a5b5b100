import Choreography
import Contracts
import PackageService
import Testing

/// The package rule and its settings, without I/O.
@Suite("Package rules and settings")
struct PackageRulesTests {
    private let limits = PackageLimits()

    private func check(_ size: PackageSize, _ weightKg: Double, _ limits: PackageLimits = PackageLimits()) -> PackageRejected.Code? {
        PackageRules.check(PackageInfo(size: size, weightKg: weightKg, tag: "t"), limits: limits)
    }

    @Test("each size's limit is inclusive; just above it is INVALID_SIZE")
    func sizeLimits() {
        #expect(check(.small, 2) == nil)
        #expect(check(.small, 0.001) == nil)
        #expect(check(.small, 2.01) == .invalidSize)
        #expect(check(.small, 10) == .invalidSize)
        #expect(check(.medium, 10) == nil)
        #expect(check(.medium, 10.000001) == .invalidSize)
        #expect(check(.medium, 25) == .invalidSize)
        #expect(check(.large, 25) == nil)
        #expect(check(.large, 0.5) == nil)
    }

    @Test("zero weight is NON_POSITIVE_WEIGHT")
    func nonPositiveWeight() {
        #expect(check(.small, 0) == .nonPositiveWeight)
        #expect(check(.large, -1) == .nonPositiveWeight)
        #expect(check(.medium, -0.0) == .nonPositiveWeight)
    }

    @Test("over the largest payload is OVERWEIGHT, whatever the size")
    func overweight() {
        #expect(check(.large, 25.01) == .overweight)
        #expect(check(.large, 26) == .overweight)
        #expect(check(.small, 26) == .overweight)
        #expect(check(.medium, 1000) == .overweight)
    }

    @Test("the limits come from the settings")
    func customLimits() {
        let custom = PackageLimits(smallMaxKg: 1, mediumMaxKg: 5, largeMaxKg: 25, maxPayloadKg: 30)
        #expect(check(.small, 2, custom) == .invalidSize)
        #expect(check(.medium, 5, custom) == nil)
        #expect(check(.large, 27, custom) == .invalidSize)
        #expect(check(.large, 30.5, custom) == .overweight)
    }

    @Test("messages state the weight and the limit it breaks")
    func messages() {
        let small = PackageInfo(size: .small, weightKg: 2.01, tag: "t")
        #expect(PackageRules.message(for: .invalidSize, small, limits: limits) == "2.01 kg is over the small size limit of 2 kg.")
        let heavy = PackageInfo(size: .large, weightKg: 26, tag: "t")
        #expect(PackageRules.message(for: .overweight, heavy, limits: limits) == "26 kg is over the largest drone's payload of 25 kg.")
        let empty = PackageInfo(size: .medium, weightKg: 0, tag: "t")
        #expect(PackageRules.message(for: .nonPositiveWeight, empty, limits: limits) == "A package must weigh more than 0 kg; 0 kg was given.")
    }

    @Test("settings: defaults, every key, and malformed values refused")
    func settings() throws {
        #expect(try PackageSettings.fromEnvironment([:]).limits == PackageLimits(smallMaxKg: 2, mediumMaxKg: 10, largeMaxKg: 25, maxPayloadKg: 25))
        let configured = try PackageSettings.fromEnvironment([
            "PACKAGE_MAX_WEIGHT_SMALL_KG": "1.5", "PACKAGE_MAX_WEIGHT_MEDIUM_KG": "8",
            "PACKAGE_MAX_WEIGHT_LARGE_KG": "20", "PACKAGE_MAX_PAYLOAD_KG": "40",
        ])
        #expect(configured.limits == PackageLimits(smallMaxKg: 1.5, mediumMaxKg: 8, largeMaxKg: 20, maxPayloadKg: 40))
        for bad in ["abc", "0", "-2", "inf", "nan"] {
            let error = try #require(throws: SettingError.self) {
                try PackageSettings.fromEnvironment(["PACKAGE_MAX_PAYLOAD_KG": bad])
            }
            #expect(error.key == "PACKAGE_MAX_PAYLOAD_KG")
        }
    }
}
