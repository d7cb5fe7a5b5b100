/// The size class of a package; each has its own weight limit in the package service.
public enum PackageSize: String, Codable, Sendable, CaseIterable {
    /// Small.
    case small
    /// Medium.
    case medium
    /// Large.
    case large
}

/// What is to be flown: size class, weight and the customer's tag.
public struct PackageInfo: Codable, Sendable, Hashable {
    /// The size class.
    public var size: PackageSize
    /// Weight in kilograms (0…1000 on the wire; the package service rejects 0 and over-limit weights).
    public var weightKg: Double
    /// The customer's label (1–64 characters, starting with a letter or digit).
    public var tag: String

    /// A package description.
    public init(size: PackageSize, weightKg: Double, tag: String) {
        self.size = size
        self.weightKg = weightKg
        self.tag = tag
    }
}
