import Foundation
import UUIDText

/// The JSON types a `type` keyword allows.
struct JSONTypeSet: OptionSet, Sendable {
    let rawValue: UInt8
    static let null = JSONTypeSet(rawValue: 1 << 0)
    static let boolean = JSONTypeSet(rawValue: 1 << 1)
    static let object = JSONTypeSet(rawValue: 1 << 2)
    static let array = JSONTypeSet(rawValue: 1 << 3)
    static let number = JSONTypeSet(rawValue: 1 << 4)
    static let string = JSONTypeSet(rawValue: 1 << 5)
    static let integer = JSONTypeSet(rawValue: 1 << 6)

    /// The names JSON Schema gives the types, in the order messages list them.
    static let names: [(String, JSONTypeSet)] = [
        ("null", .null), ("boolean", .boolean), ("object", .object), ("array", .array),
        ("number", .number), ("string", .string), ("integer", .integer),
    ]

    /// Whether `value` is of one of these types (a whole number is also an `integer`).
    func matches(_ value: JSONValue) -> Bool {
        switch value {
        case .null: contains(.null)
        case .bool: contains(.boolean)
        case .object: contains(.object)
        case .array: contains(.array)
        case .string: contains(.string)
        case .number(let number): contains(.number) || (contains(.integer) && number.isWholeNumber)
        }
    }

    /// `string`, or `string or null`.
    var listing: String {
        Self.names.filter { contains($0.1) }.map(\.0).joined(separator: " or ")
    }
}

/// The `format` values the validator asserts.
enum StringFormat: String, Sendable {
    case uuid
    case dateTime = "date-time"

    /// Whether `string` has this format.
    func matches(_ string: String) -> Bool {
        switch self {
        case .uuid: Self.isUUID(string)
        case .dateTime: RFC3339.isValid(string)
        }
    }

    /// The 8-4-4-4-12 hexadecimal form, either case.
    static func isUUID(_ string: String) -> Bool { UUIDText.bytes(string) != nil }
}

/// What `additionalProperties` says about members that `properties` does not name.
enum AdditionalProperties: Sendable {
    /// `false`: no other member is allowed.
    case forbidden
    /// A schema every other member must satisfy.
    case schema(Int)
}

/// One compiled (sub)schema; subschemas are indexes into the compiled node table.
struct SchemaNode: Sendable {
    /// The absolute location of this schema (`$id#pointer`), for violation reports.
    var location: String
    /// `true` for the Boolean schema `false`.
    var rejectsEverything = false
    var ref: Int?
    var types: JSONTypeSet?
    var enumValues: [JSONValue]?
    var constValue: JSONValue?
    var format: StringFormat?
    var minimum: Double?
    var maximum: Double?
    var exclusiveMinimum: Double?
    var exclusiveMaximum: Double?
    var minLength: Int?
    var maxLength: Int?
    var pattern: NSRegularExpression?
    var patternSource = ""
    var required: [String] = []
    var properties: [(name: String, node: Int)] = []
    var propertyIndex: [String: Int] = [:]
    var additionalProperties: AdditionalProperties?
    var items: Int?
    var minItems: Int?
    var maxItems: Int?
    var allOf: [Int] = []
    var anyOf: [Int] = []
    var oneOf: [Int] = []
}
