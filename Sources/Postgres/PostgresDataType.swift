/// A PostgreSQL type, identified by its OID: the declared type of a parameter or of a result column.
public struct PostgresDataType: Hashable, Sendable, CustomStringConvertible {
    /// The type's OID in `pg_type`.
    public let oid: UInt32

    /// Wraps a type OID (for types without a constant here, e.g. an enum's OID).
    public init(oid: UInt32) {
        self.oid = oid
    }

    /// Unspecified: the server infers the type from the statement.
    public static let unspecified = PostgresDataType(oid: 0)
    /// `bool`.
    public static let bool = PostgresDataType(oid: 16)
    /// `bytea`.
    public static let bytea = PostgresDataType(oid: 17)
    /// `"char"` (the one-byte internal type).
    public static let char = PostgresDataType(oid: 18)
    /// `name`.
    public static let name = PostgresDataType(oid: 19)
    /// `int8` / `bigint`.
    public static let int8 = PostgresDataType(oid: 20)
    /// `int2` / `smallint`.
    public static let int2 = PostgresDataType(oid: 21)
    /// `int4` / `integer`.
    public static let int4 = PostgresDataType(oid: 23)
    /// `text`.
    public static let text = PostgresDataType(oid: 25)
    /// `oid`.
    public static let oidType = PostgresDataType(oid: 26)
    /// `json`.
    public static let json = PostgresDataType(oid: 114)
    /// `xml`.
    public static let xml = PostgresDataType(oid: 142)
    /// `float4` / `real`.
    public static let float4 = PostgresDataType(oid: 700)
    /// `float8` / `double precision`.
    public static let float8 = PostgresDataType(oid: 701)
    /// `unknown` (an untyped literal).
    public static let unknown = PostgresDataType(oid: 705)
    /// `bool[]`.
    public static let boolArray = PostgresDataType(oid: 1000)
    /// `int4[]`.
    public static let int4Array = PostgresDataType(oid: 1007)
    /// `text[]`.
    public static let textArray = PostgresDataType(oid: 1009)
    /// `int8[]`.
    public static let int8Array = PostgresDataType(oid: 1016)
    /// `bpchar` / `character(n)`.
    public static let bpchar = PostgresDataType(oid: 1042)
    /// `varchar` / `character varying(n)`.
    public static let varchar = PostgresDataType(oid: 1043)
    /// `date`.
    public static let date = PostgresDataType(oid: 1082)
    /// `time`.
    public static let time = PostgresDataType(oid: 1083)
    /// `timestamp` (without time zone).
    public static let timestamp = PostgresDataType(oid: 1114)
    /// `timestamptz` / `timestamp with time zone`.
    public static let timestamptz = PostgresDataType(oid: 1184)
    /// `interval`.
    public static let interval = PostgresDataType(oid: 1186)
    /// `numeric` / `decimal`.
    public static let numeric = PostgresDataType(oid: 1700)
    /// `uuid`.
    public static let uuid = PostgresDataType(oid: 2950)
    /// `uuid[]`.
    public static let uuidArray = PostgresDataType(oid: 2951)
    /// `jsonb`.
    public static let jsonb = PostgresDataType(oid: 3802)

    /// Types whose text form is plain text: the string types, JSON, XML, and user-defined types
    /// (enums, domains, extensions such as citext), whose OIDs start at 16384.
    package var isTextual: Bool {
        switch self {
        case .text, .varchar, .bpchar, .name, .char, .unknown, .json, .jsonb, .xml: true
        default: oid >= 16384
        }
    }

    public var description: String {
        switch self {
        case .unspecified: "unspecified"
        case .bool: "bool"
        case .bytea: "bytea"
        case .char: "char"
        case .name: "name"
        case .int8: "int8"
        case .int2: "int2"
        case .int4: "int4"
        case .text: "text"
        case .oidType: "oid"
        case .json: "json"
        case .xml: "xml"
        case .float4: "float4"
        case .float8: "float8"
        case .unknown: "unknown"
        case .boolArray: "bool[]"
        case .int4Array: "int4[]"
        case .textArray: "text[]"
        case .int8Array: "int8[]"
        case .bpchar: "bpchar"
        case .varchar: "varchar"
        case .date: "date"
        case .time: "time"
        case .timestamp: "timestamp"
        case .timestamptz: "timestamptz"
        case .interval: "interval"
        case .numeric: "numeric"
        case .uuid: "uuid"
        case .uuidArray: "uuid[]"
        case .jsonb: "jsonb"
        default: "oid \(oid)"
        }
    }
}
