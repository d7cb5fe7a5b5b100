import Contracts
import Testing

/// One keyword check: a schema, an instance, and the violations expected (`pointer keyword`).
struct KeywordCase: Sendable, CustomTestStringConvertible {
    var name: String
    var schema: String
    var instance: String
    var expected: [String]

    var testDescription: String { name }
}

/// The validator keyword by keyword, on small inline schemas.
@Suite("JSON Schema validator")
struct SchemaValidatorTests {
    static let dialect = #""$schema": "https://json-schema.org/draft/2020-12/schema""#

    static func compile(_ schema: String, path: String = "test.json") throws -> JSONSchema {
        let set = try SchemaSet([SchemaDocument(path: path, text: schema)])
        return try #require(set.schema(path))
    }

    static let cases: [KeywordCase] = [
        KeywordCase(name: "type string accepts a string", schema: #"{"type": "string"}"#, instance: #""x""#, expected: []),
        KeywordCase(name: "type string refuses a number", schema: #"{"type": "string"}"#, instance: "1", expected: [" type"]),
        KeywordCase(name: "type integer accepts 1.0", schema: #"{"type": "integer"}"#, instance: "1.0", expected: []),
        KeywordCase(name: "type integer refuses 1.5", schema: #"{"type": "integer"}"#, instance: "1.5", expected: [" type"]),
        KeywordCase(name: "type number refuses true", schema: #"{"type": "number"}"#, instance: "true", expected: [" type"]),
        KeywordCase(name: "type array of types accepts null", schema: #"{"type": ["string", "null"]}"#, instance: "null", expected: []),
        KeywordCase(name: "type array of types refuses an object", schema: #"{"type": ["string", "null"]}"#, instance: "{}", expected: [" type"]),
        KeywordCase(name: "enum compares numbers by value", schema: #"{"enum": [1, "a"]}"#, instance: "1.0", expected: []),
        KeywordCase(name: "enum refuses an unlisted value", schema: #"{"enum": [1, "a"]}"#, instance: #""b""#, expected: [" enum"]),
        KeywordCase(name: "enum does not confuse true and 1", schema: #"{"enum": [1]}"#, instance: "true", expected: [" enum"]),
        KeywordCase(name: "const accepts an equal object", schema: #"{"const": {"a": [1, 2]}}"#, instance: #"{"a": [1, 2]}"#, expected: []),
        KeywordCase(name: "const refuses a different array order", schema: #"{"const": {"a": [1, 2]}}"#, instance: #"{"a": [2, 1]}"#, expected: [" const"]),
        KeywordCase(name: "minimum is inclusive", schema: #"{"minimum": 0}"#, instance: "0", expected: []),
        KeywordCase(name: "minimum refuses less", schema: #"{"minimum": 0}"#, instance: "-0.5", expected: [" minimum"]),
        KeywordCase(name: "maximum refuses more", schema: #"{"maximum": 90}"#, instance: "90.0001", expected: [" maximum"]),
        KeywordCase(name: "exclusiveMinimum refuses the bound", schema: #"{"exclusiveMinimum": 0}"#, instance: "0", expected: [" exclusiveMinimum"]),
        KeywordCase(name: "exclusiveMaximum refuses the bound", schema: #"{"exclusiveMaximum": 10}"#, instance: "10", expected: [" exclusiveMaximum"]),
        KeywordCase(name: "numeric keywords ignore strings", schema: #"{"maximum": 1, "minLength": 2}"#, instance: #""abc""#, expected: []),
        KeywordCase(name: "maxLength counts code points, not UTF-16 units", schema: #"{"maxLength": 1}"#, instance: #""😀""#, expected: []),
        KeywordCase(name: "maxLength refuses two code points", schema: #"{"maxLength": 1}"#, instance: #""ab""#, expected: [" maxLength"]),
        KeywordCase(name: "minLength refuses the empty string", schema: #"{"minLength": 1}"#, instance: #""""#, expected: [" minLength"]),
        KeywordCase(name: "pattern searches unanchored", schema: #"{"pattern": "b"}"#, instance: #""abc""#, expected: []),
        KeywordCase(name: "pattern refuses a mismatch", schema: #"{"pattern": "^[a-z]+$"}"#, instance: #""aB""#, expected: [" pattern"]),
        KeywordCase(name: "format uuid accepts either case", schema: #"{"format": "uuid"}"#, instance: #""3F2B8C1E-5d4a-4e7b-9c61-0a8f2d7e4b13""#, expected: []),
        KeywordCase(name: "format uuid refuses braces", schema: #"{"format": "uuid"}"#, instance: #""{3f2b8c1e-5d4a-4e7b-9c61-0a8f2d7e4b13}""#, expected: [" format"]),
        KeywordCase(name: "format applies to strings only", schema: #"{"format": "date-time"}"#, instance: "12", expected: []),
        KeywordCase(name: "required reports each missing member at the object", schema: #"{"required": ["a", "b", "c"]}"#, instance: #"{"b": 1}"#, expected: [" required", " required"]),
        KeywordCase(name: "properties validate members at their pointer", schema: #"{"properties": {"a": {"type": "string"}, "b": {"minimum": 3}}}"#, instance: #"{"a": 1, "b": 2}"#, expected: ["/a type", "/b minimum"]),
        KeywordCase(name: "pointers escape ~ and /", schema: #"{"properties": {"a/b~c": {"type": "string"}}}"#, instance: #"{"a/b~c": 1}"#, expected: ["/a~1b~0c type"]),
        KeywordCase(name: "additionalProperties false reports each extra member", schema: #"{"properties": {"a": true}, "additionalProperties": false}"#, instance: #"{"a": 1, "x": 2, "y": 3}"#, expected: ["/x additionalProperties", "/y additionalProperties"]),
        KeywordCase(name: "additionalProperties schema validates extra members", schema: #"{"properties": {"a": true}, "additionalProperties": {"type": "integer"}}"#, instance: #"{"a": "s", "x": 2, "y": "no"}"#, expected: ["/y type"]),
        KeywordCase(name: "items validates each element at its index", schema: #"{"items": {"type": "integer"}}"#, instance: #"[1, "a", 3, null]"#, expected: ["/1 type", "/3 type"]),
        KeywordCase(name: "minItems and maxItems", schema: #"{"minItems": 2, "maxItems": 3}"#, instance: "[1]", expected: [" minItems"]),
        KeywordCase(name: "maxItems refuses four", schema: #"{"minItems": 2, "maxItems": 3}"#, instance: "[1, 2, 3, 4]", expected: [" maxItems"]),
        KeywordCase(name: "allOf reports every branch's violations", schema: #"{"allOf": [{"minimum": 5}, {"maximum": 1}]}"#, instance: "3", expected: [" minimum", " maximum"]),
        KeywordCase(name: "anyOf passes when one branch matches", schema: #"{"anyOf": [{"type": "string"}, {"minimum": 5}]}"#, instance: "7", expected: []),
        KeywordCase(name: "anyOf refuses when no branch matches", schema: #"{"anyOf": [{"type": "string"}, {"minimum": 5}]}"#, instance: "3", expected: [" anyOf"]),
        KeywordCase(name: "oneOf passes with exactly one match", schema: #"{"oneOf": [{"type": "integer"}, {"type": "string"}]}"#, instance: "3", expected: []),
        KeywordCase(name: "oneOf refuses two matches", schema: #"{"oneOf": [{"type": "integer"}, {"minimum": 0}]}"#, instance: "3", expected: [" oneOf"]),
        KeywordCase(name: "oneOf refuses no match", schema: #"{"oneOf": [{"type": "integer"}, {"type": "string"}]}"#, instance: "null", expected: [" oneOf"]),
        KeywordCase(name: "$ref within the file, with siblings also applied", schema: ##"{"$defs": {"n": {"type": "integer"}}, "$ref": "#/$defs/n", "minimum": 10}"##, instance: "2.5", expected: [" type", " minimum"]),
        KeywordCase(name: "$ref with a percent-encoded pointer", schema: ##"{"$defs": {"a b": {"type": "integer"}}, "properties": {"x": {"$ref": "#/%24defs/a%20b"}}}"##, instance: #"{"x": "s"}"#, expected: ["/x type"]),
        KeywordCase(name: "recursive $ref validates a tree", schema: ##"{"type": "object", "properties": {"v": {"type": "integer"}, "children": {"items": {"$ref": "#"}}}}"##, instance: #"{"v": 1, "children": [{"v": 2, "children": [{"v": "x"}]}]}"#, expected: ["/children/0/children/0/v type"]),
        KeywordCase(name: "the false schema refuses everything", schema: #"{"properties": {"never": false}}"#, instance: #"{"never": 0}"#, expected: ["/never false"]),
        // Strings and member names compare by code points (the Kelvin sign U+212A is not K).
        KeywordCase(name: "enum compares strings by code points", schema: #"{"enum": ["ACCOUNT_UNKNOWN"]}"#, instance: #""ACCOUNT_UN\u212ANOWN""#, expected: [" enum"]),
        KeywordCase(name: "const compares strings by code points", schema: #"{"const": "K"}"#, instance: #""\u212A""#, expected: [" const"]),
        KeywordCase(name: "a canonically equivalent member name is another member", schema: #"{"required": ["weightKg"], "properties": {"weightKg": {"type": "number"}}, "additionalProperties": false}"#, instance: #"{"weight\u212Ag": 2}"#, expected: [" required", "/weight\u{212A}g additionalProperties"]),
        KeywordCase(name: "pattern $ matches only at the end, not before a final newline", schema: #"{"pattern": "^[a-z-]+[0-9]$"}"#, instance: #""acct-active-1\n""#, expected: [" pattern"]),
        KeywordCase(name: "pattern keeps an escaped $ and a $ in a class", schema: #"{"pattern": "^a\\$[$]$"}"#, instance: #""a$$""#, expected: []),
        KeywordCase(name: "annotations are accepted and ignored", schema: #"{"title": "t", "description": "d", "examples": [1], "$comment": "c", "default": 0, "type": "integer"}"#, instance: "1", expected: []),
    ]

    @Test("Keyword behaviour", arguments: cases)
    func keyword(testCase: KeywordCase) throws {
        let schema = try Self.compile(testCase.schema)
        let violations = schema.validate(try JSONValue(parsing: testCase.instance))
        #expect(violations.map { "\($0.instanceLocation) \($0.keyword)" }.sorted() == testCase.expected.sorted(), "\(violations)")
        for violation in violations { #expect(!violation.message.isEmpty) }
    }

    static let dateTimes: [(String, Bool)] = [
        ("2026-05-01T09:30:00Z", true), ("2026-05-01T09:30:00.123456789Z", true), ("2026-05-01t09:30:00z", true),
        ("2026-05-01T09:30:00+02:00", true), ("2026-05-01T09:30:00-11:30", true), ("2024-02-29T00:00:00Z", true),
        ("2026-12-31T23:59:60Z", true), ("2026-12-31T22:59:60-01:00", true),
        ("2026-02-29T00:00:00Z", false), ("2026-04-31T00:00:00Z", false), ("2026-13-01T00:00:00Z", false),
        ("2026-05-01T24:00:00Z", false), ("2026-05-01T09:60:00Z", false), ("2026-05-01T09:30:60Z", false),
        ("2026-05-01T09:30:00", false), ("2026-05-01 09:30:00Z", false), ("2026-05-01T09:30:00.Z", false),
        ("2026-05-01T09:30:00+0200", false), ("2026-05-01T09:30:00+24:00", false), ("26-05-01T09:30:00Z", false),
        ("2026-05-01", false), ("2026-05-01T09:30:00Z ", false), ("２０２６-05-01T09:30:00Z", false),
    ]

    @Test("format date-time follows RFC 3339 (calendar, offsets, leap seconds at 23:59:60 UTC only)", arguments: dateTimes)
    func dateTime(text: String, valid: Bool) throws {
        let schema = try Self.compile(#"{"format": "date-time"}"#)
        #expect(schema.isValid(.string(text)) == valid)
        #expect(RFC3339.isValid(text) == valid)
    }

    @Test("Validation reports every violation of a document, not just the first")
    func everyViolation() throws {
        let schema = try Self.compile(
            #"{"type": "object", "required": ["a", "b"], "properties": {"c": {"type": "integer"}, "d": {"enum": [1]}}, "additionalProperties": false}"#)
        let violations = schema.validate(try JSONValue(parsing: #"{"c": "x", "d": 2, "e": 0}"#))
        #expect(violations.count == 5)
    }

    @Test("A violation located inside a larger document carries that document's pointer")
    func nestedLocation() throws {
        let schema = try Self.compile(#"{"properties": {"x": {"type": "string"}}}"#)
        let violations = schema.validate(["x": 1], at: [.key("data"), .index(2)])
        #expect(violations.map(\.instanceLocation) == ["/data/2/x"])
    }

    @Test("$ref across files resolves by $id and by relative file name")
    func crossFileReferences() throws {
        let common = #"{\#(Self.dialect), "$id": "https://example.test/s/common.json", "$defs": {"id": {"type": "string", "minLength": 3}}}"#
        let byID = #"{\#(Self.dialect), "$id": "https://example.test/s/events/a.json", "properties": {"x": {"$ref": "../common.json#/$defs/id"}}}"#
        let plainCommon = #"{"$defs": {"n": {"type": "integer"}}}"#
        let byFile = #"{"properties": {"y": {"$ref": "../plain.json#/$defs/n"}}}"#
        let set = try SchemaSet([
            SchemaDocument(path: "common.json", text: common), SchemaDocument(path: "events/a.json", text: byID),
            SchemaDocument(path: "plain.json", text: plainCommon), SchemaDocument(path: "events/b.json", text: byFile),
        ])
        let a = try #require(set.schema("https://example.test/s/events/a.json"))
        #expect(a.validate(["x": "ab"]).map(\.keyword) == ["minLength"])
        #expect(a.validate(["x": "abc"]).isEmpty)
        let b = try #require(set.schema("events/b.json"))
        #expect(b.validate(["y": "s"]).map(\.instanceLocation) == ["/y"])
        let definition = try #require(set.schema("common.json#/$defs/id"))
        #expect(!definition.isValid("a"))
    }

    static let badSchemas: [KeywordCase] = [
        KeywordCase(name: "an unknown keyword", schema: #"{"properties": {"a": {"unevaluatedProperties": false}}}"#, instance: "", expected: ["/properties/a/unevaluatedProperties unevaluatedProperties"]),
        KeywordCase(name: "a misspelt keyword", schema: #"{"require": ["a"]}"#, instance: "", expected: ["/require require"]),
        KeywordCase(name: "an unsupported format", schema: #"{"format": "email"}"#, instance: "", expected: ["/format format"]),
        KeywordCase(name: "items as an array (draft 4 tuples)", schema: #"{"items": [{"type": "string"}]}"#, instance: "", expected: ["/items items"]),
        KeywordCase(name: "a nested $id", schema: #"{"$defs": {"x": {"$id": "https://example.test/x"}}}"#, instance: "", expected: ["/$defs/x/$id $id"]),
        KeywordCase(name: "another dialect", schema: #"{"$schema": "http://json-schema.org/draft-07/schema#"}"#, instance: "", expected: ["/$schema $schema"]),
        KeywordCase(name: "a $ref to nothing", schema: ##"{"properties": {"a": {"$ref": "#/$defs/missing"}}}"##, instance: "", expected: ["/properties/a/$ref $ref"]),
        KeywordCase(name: "a $ref to an unknown file", schema: #"{"$ref": "other.json"}"#, instance: "", expected: ["/$ref $ref"]),
        KeywordCase(name: "an anchor $ref", schema: ##"{"$ref": "#thing"}"##, instance: "", expected: ["/$ref $ref"]),
        KeywordCase(name: "a $ref with a malformed percent-escape", schema: ##"{"$defs": {"x": {"type": "integer"}}, "properties": {"a": {"$ref": "#/$defs/x%zz"}}}"##, instance: "", expected: ["/properties/a/$ref $ref"]),
        KeywordCase(name: "an invalid pattern", schema: #"{"pattern": "(["}"#, instance: "", expected: ["/pattern pattern"]),
        KeywordCase(name: "an unknown type name", schema: #"{"type": "text"}"#, instance: "", expected: ["/type type"]),
        KeywordCase(name: "a negative maxLength", schema: #"{"maxLength": -1}"#, instance: "", expected: ["/maxLength maxLength"]),
        KeywordCase(name: "an empty enum", schema: #"{"enum": []}"#, instance: "", expected: ["/enum enum"]),
        KeywordCase(name: "several problems at once", schema: #"{"foo": 1, "properties": {"a": {"bar": 2}}}"#, instance: "", expected: ["/foo foo", "/properties/a/bar bar"]),
    ]

    @Test("A schema the validator cannot fully enforce does not compile; each problem is located", arguments: badSchemas)
    func compileErrors(testCase: KeywordCase) throws {
        let error = #expect(throws: ContractError.self) { try Self.compile(testCase.schema) }
        #expect(error?.code == .invalidSchema)
        #expect((error?.violations ?? []).map { "\($0.instanceLocation) \($0.keyword)" }.sorted() == testCase.expected.sorted())
    }

    @Test("Every schema file of the repository compiles with no unknown keyword")
    func repositorySchemasCompile() throws {
        let documents = try RepositoryFiles.currentDocuments()
        #expect(documents.count == EventType.all.count + 2)
        let set = try SchemaSet(documents)
        for document in documents { #expect(set.schema(document.path) != nil) }
    }
}
