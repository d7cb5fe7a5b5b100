import Foundation
import Postgres
import Testing

/// Every supported type goes into a real column as a parameter and comes back decoded.
@Suite("Postgres value round trips")
struct PostgresValueRoundTripTests {
    /// Inserts `value` into a fresh temp column of `sqlType`, reads it back as `Value`, and also
    /// echoes it through `SELECT $1::sqlType`.
    private func roundTrip<Value: PostgresDecodable & Equatable>(
        _ connection: PostgresConnection, _ sqlType: String, _ value: PostgresValue, as type: Value.Type
    ) async throws -> (stored: Value, echoed: Value) {
        let table = PostgresTestDatabase.uniqueName("value")
        try await connection.simpleQuery("CREATE TEMP TABLE \(table) (v \(sqlType))")
        let inserted = try await connection.execute("INSERT INTO \(table) (v) VALUES ($1)", [value])
        #expect(inserted == 1)
        let stored = try await connection.query("SELECT v FROM \(table)")
        #expect(stored.count == 1)
        #expect(stored.columns.first?.name == "v")
        let echoed = try await connection.query("SELECT $1::\(sqlType) AS v", [value])
        return (try stored[0].decode(Value.self, column: "v"), try echoed[0].decode(Value.self, at: 0))
    }

    private func expectRoundTrip<Value: PostgresDecodable & Equatable>(
        _ connection: PostgresConnection, _ sqlType: String, _ value: PostgresValue, _ expected: Value,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        let (stored, echoed) = try await roundTrip(connection, sqlType, value, as: Value.self)
        #expect(stored == expected, "stored \(sqlType)", sourceLocation: sourceLocation)
        #expect(echoed == expected, "echoed \(sqlType)", sourceLocation: sourceLocation)
    }

    @Test("text, including empty, unicode, quotes, backslashes and control characters")
    func text() async throws {
        let connection = try await PostgresTestDatabase.connect()
        for value in ["", "plain", "Zürich ✈️ 東京 — ‘curly’ \"double\" 'single' \\ back\\slash", "tab\tnew\nline", "🧑‍🚀"] {
            try await expectRoundTrip(connection, "text", .text(value), value)
            try await expectRoundTrip(connection, "varchar(200)", .text(value), value)
        }
        try await expectRoundTrip(connection, "text", "literal", "literal")
    }

    @Test("integers at their limits and negative")
    func integers() async throws {
        let connection = try await PostgresTestDatabase.connect()
        for value in [Int16.min, -1, 0, Int16.max] {
            try await expectRoundTrip(connection, "int2", .int16(value), value)
        }
        for value in [Int32.min, -123_456, Int32.max] {
            try await expectRoundTrip(connection, "int4", .int32(value), value)
        }
        for value in [Int64.min, -9_007_199_254_740_993, 0, Int64.max] {
            try await expectRoundTrip(connection, "int8", .int64(value), value)
        }
        try await expectRoundTrip(connection, "int8", .int(-42), -42)
        try await expectRoundTrip(connection, "int4", .int(7), Int32(7))
        try await expectRoundTrip(connection, "int2", 12, 12)
    }

    @Test("float8 including extremes and infinities; numeric exactly")
    func floatingPointAndNumeric() async throws {
        let connection = try await PostgresTestDatabase.connect()
        for value in [3.141592653589793, -0.1, 1e308, .leastNonzeroMagnitude, -2.5e-10, Double.infinity, -Double.infinity] {
            try await expectRoundTrip(connection, "float8", .double(value), value)
        }
        let (storedNaN, echoedNaN) = try await roundTrip(connection, "float8", .double(.nan), as: Double.self)
        #expect(storedNaN.isNaN && echoedNaN.isNaN)

        let exact = Decimal(string: "12345678901234567890.123456789", locale: nil)!
        try await expectRoundTrip(connection, "numeric", .numeric(exact), exact)
        try await expectRoundTrip(connection, "numeric(10,2)", .double(19.99), 19.99)
        try await expectRoundTrip(connection, "numeric", .numeric(Decimal(string: "-0.000001", locale: nil)!), -0.000001)
    }

    @Test("bool")
    func bool() async throws {
        let connection = try await PostgresTestDatabase.connect()
        try await expectRoundTrip(connection, "bool", .bool(true), true)
        try await expectRoundTrip(connection, "bool", false, false)
    }

    @Test("uuid")
    func uuid() async throws {
        let connection = try await PostgresTestDatabase.connect()
        let id = UUID()
        try await expectRoundTrip(connection, "uuid", .uuid(id), id)
        let generated = try await connection.query("SELECT gen_random_uuid() AS id, gen_random_uuid()::text AS text")
        let decoded = try generated[0].decode(UUID.self, column: "id")
        #expect(decoded != id)
        #expect(UUID(uuidString: try generated[0].decode(String.self, column: "text")) != nil)
    }

    @Test("timestamptz keeps microseconds, before and after 1970, in any session time zone")
    func timestamps() async throws {
        let connection = try await PostgresTestDatabase.connect()
        let dates = [
            Date(timeIntervalSince1970: 1_717_171_717.123456),
            Date(timeIntervalSince1970: -0.000001),
            Date(timeIntervalSince1970: -1_234_567_890.654321),
            Date(timeIntervalSince1970: 16_725_225_600.000001),  // 2500-01-01
            Date(timeIntervalSince1970: 951_782_400.5),  // 2000-02-29
        ]
        for date in dates {
            let (stored, echoed) = try await roundTrip(connection, "timestamptz", .timestamp(date), as: Date.self)
            #expect(microseconds(stored) == microseconds(date))
            #expect(microseconds(echoed) == microseconds(date))
        }

        // The server's own text, in UTC and in a session zone with a half-hour offset.
        let expected = Date(timeIntervalSince1970: 1_709_210_096.789012)  // 2024-02-29 12:34:56.789012 UTC
        let sql = "SELECT '2024-02-29 12:34:56.789012+00'::timestamptz AS t, '2024-02-29 12:34:56.789012'::timestamp AS naive, '2024-02-29'::date AS d"
        let utc = try await connection.query(sql)
        #expect(microseconds(try utc[0].decode(Date.self, column: "t")) == microseconds(expected))
        #expect(microseconds(try utc[0].decode(Date.self, column: "naive")) == microseconds(expected))
        #expect(try utc[0].decode(Date.self, column: "d") == Date(timeIntervalSince1970: 1_709_164_800))
        try await connection.simpleQuery("SET TimeZone = 'Asia/Kolkata'")
        let kolkata = try await connection.query(sql)
        #expect(try kolkata[0].cell(column: "t").text == "2024-02-29 18:04:56.789012+05:30")
        #expect(microseconds(try kolkata[0].decode(Date.self, column: "t")) == microseconds(expected))
        let infinite = try await connection.query("SELECT 'infinity'::timestamptz AS f, '-infinity'::timestamptz AS p")
        #expect(try infinite[0].decode(Date.self, column: "f") == .distantFuture)
        #expect(try infinite[0].decode(Date.self, column: "p") == .distantPast)
    }

    @Test("jsonb and json as text and as UTF-8 bytes")
    func json() async throws {
        struct Payload: Codable, Equatable {
            var name: String
            var weights: [Double]
        }
        let connection = try await PostgresTestDatabase.connect()
        let payload = Payload(name: "Paket für Zürich ✈️", weights: [1.5, -2, 1e-3])
        let encoded = try JSONEncoder().encode(payload)
        let table = PostgresTestDatabase.uniqueName("json")
        try await connection.simpleQuery("CREATE TEMP TABLE \(table) (b jsonb, j json)")
        try await connection.execute("INSERT INTO \(table) VALUES ($1, $2)", [.jsonb(utf8: encoded), .json(#"{"b":2,  "a":1}"#)])
        let rows = try await connection.query("SELECT b, j, b->>'name' AS name, jsonb_typeof(b) AS kind FROM \(table)")
        let row = try #require(rows.first)
        #expect(try JSONDecoder().decode(Payload.self, from: row.decode(Data.self, column: "b")) == payload)
        #expect(try JSONDecoder().decode(Payload.self, from: Data(row.decode([UInt8].self, column: "b"))) == payload)
        #expect(try row.decode(String.self, column: "name") == payload.name)
        #expect(try row.decode(String.self, column: "kind") == "object")
        #expect(try row.decode(String.self, column: "j") == #"{"b":2,  "a":1}"#, "json keeps its text exactly")

        let text = #"{"a": [1, 2, {"b": "ü"}]}"#
        try await expectRoundTrip(connection, "jsonb", .jsonb(text), text)
    }

    @Test("bytea, empty and with every byte value")
    func bytea() async throws {
        let connection = try await PostgresTestDatabase.connect()
        let all = (0...255).map { UInt8($0) }
        try await expectRoundTrip(connection, "bytea", .bytea(all), all)
        try await expectRoundTrip(connection, "bytea", .bytea([]), [UInt8]())
        try await expectRoundTrip(connection, "bytea", .bytea([0, 0, 1]), Data([0, 0, 1]))
    }

    @Test("NULL of every type decodes as nil, and as a decoding error when not optional")
    func nulls() async throws {
        let connection = try await PostgresTestDatabase.connect()
        let table = PostgresTestDatabase.uniqueName("nulls")
        try await connection.simpleQuery("""
            CREATE TEMP TABLE \(table) (t text, i int8, f float8, b bool, u uuid, ts timestamptz, j jsonb, y bytea, n numeric)
            """)
        try await connection.execute(
            "INSERT INTO \(table) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            [.text(nil), .int(nil), .double(nil), .bool(nil), .uuid(nil), .timestamp(nil), .jsonb(nil), .bytea(nil), .numeric(nil)])
        try await connection.execute("INSERT INTO \(table) (t) VALUES ($1)", [nil])
        let rows = try await connection.query("SELECT * FROM \(table)")
        #expect(rows.count == 2)
        for row in rows {
            #expect(try row.decode(String?.self, column: "t") == nil)
            #expect(try row.decode(Int?.self, column: "i") == nil)
            #expect(try row.decode(Double?.self, column: "f") == nil)
            #expect(try row.decode(Bool?.self, column: "b") == nil)
            #expect(try row.decode(UUID?.self, column: "u") == nil)
            #expect(try row.decode(Date?.self, column: "ts") == nil)
            #expect(try row.decode(String?.self, column: "j") == nil)
            #expect(try row.decode([UInt8]?.self, column: "y") == nil)
            #expect(try row.decode(Decimal?.self, column: "n") == nil)
            #expect(try row.isNull(column: "u"))
            let error = try #require(throws: PostgresError.self) { try row.decode(UUID.self, column: "u") }
            #expect(error.code == .decoding)
            #expect(error.message.contains("\"u\" is NULL"))
        }
        let present = try await connection.query("SELECT 5::int8 AS i")
        #expect(try present[0].decode(Int?.self, column: "i") == 5)
    }

    @Test("wrong type, out-of-range integer and missing column are clear decoding errors")
    func decodingErrors() async throws {
        let connection = try await PostgresTestDatabase.connect()
        let rows = try await connection.query("SELECT 40000::int8 AS big, 'x'::text AS name, now() AS at")
        let row = try #require(rows.first)

        let wrongType = try #require(throws: PostgresError.self) { try row.decode(UUID.self, column: "big") }
        #expect(wrongType.code == .decoding)
        #expect(wrongType.message.contains("int8") && wrongType.message.contains("UUID"))
        #expect(throws: PostgresError.self) { try row.decode(Int.self, column: "name") }
        #expect(throws: PostgresError.self) { try row.decode(String.self, column: "big") }
        #expect(throws: PostgresError.self) { try row.decode(Bool.self, column: "at") }

        let tooBig = try #require(throws: PostgresError.self) { try row.decode(Int16.self, column: "big") }
        #expect(tooBig.code == .decoding && tooBig.message.contains("does not fit"))
        #expect(try row.decode(Int32.self, column: "big") == 40000)

        let missing = try #require(throws: PostgresError.self) { try row.decode(String.self, column: "nope") }
        #expect(missing.code == .decoding)
        #expect(missing.message.contains("nope") && missing.message.contains("big, name, at"))
        #expect(throws: PostgresError.self) { try row.decode(String.self, at: 3) }
    }

    @Test("array parameters work with = ANY($1)")
    func arrayParameters() async throws {
        let connection = try await PostgresTestDatabase.connect()
        let table = PostgresTestDatabase.uniqueName("arrays")
        try await connection.simpleQuery("CREATE TEMP TABLE \(table) (id uuid, n int8, name text)")
        let ids = (0..<5).map { _ in UUID() }
        for (index, id) in ids.enumerated() {
            try await connection.execute(
                "INSERT INTO \(table) VALUES ($1, $2, $3)", [.uuid(id), .int(index), .text("name \"\(index)\" \\ {x}")])
        }
        let byID = try await connection.query("SELECT n FROM \(table) WHERE id = ANY($1) ORDER BY n", [.uuidArray([ids[1], ids[3]])])
        #expect(try byID.map { try $0.decode(Int.self, at: 0) } == [1, 3])
        let byNumber = try await connection.query("SELECT count(*) AS c FROM \(table) WHERE n = ANY($1)", [.int64Array([0, 4, 99])])
        #expect(try byNumber[0].decode(Int.self, column: "c") == 2)
        let byName = try await connection.query(
            "SELECT n FROM \(table) WHERE name = ANY($1)", [.textArray(["name \"2\" \\ {x}", "other"])])
        #expect(try byName.map { try $0.decode(Int.self, at: 0) } == [2])
    }

    @Test("an array parameter carries a column of any type, NULLs included, into unnest")
    func arrayColumns() async throws {
        let connection = try await PostgresTestDatabase.connect()
        let at = Date(timeIntervalSince1970: 1_700_000_000.25)
        let id = UUID()
        let rows = try await connection.query("""
            SELECT n, at, id, body::text AS body, note FROM unnest($1::int4[], $2::timestamptz[], $3::uuid[], $4::jsonb[], $5::text[])
                WITH ORDINALITY AS t(n, at, id, body, note, position) ORDER BY position
            """, [
                .array([.int32(1), .int32(2)]), .array([.timestamp(at), .timestamp(nil)]), .array([.uuid(id), .uuid(nil)]),
                .array([.jsonb(#"{"a": "q\"uote\\"}"#), .jsonb(nil)]), .array([.text("NULL"), .text(nil)]),
            ])
        #expect(rows.count == 2)
        #expect(try rows[0].decode(Int.self, column: "n") == 1 && rows[1].decode(Int.self, column: "n") == 2)
        #expect(try microseconds(rows[0].decode(Date.self, column: "at")) == microseconds(at))
        #expect(try rows[1].decode(Date?.self, column: "at") == nil)
        #expect(try rows[0].decode(UUID.self, column: "id") == id && rows[1].decode(UUID?.self, column: "id") == nil)
        #expect(try rows[0].decode(String.self, column: "body") == #"{"a": "q\"uote\\"}"#)
        #expect(try rows[1].decode(String?.self, column: "body") == nil)
        #expect(try rows[0].decode(String.self, column: "note") == "NULL" && rows[1].decode(String?.self, column: "note") == nil)
    }

    private func microseconds(_ date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1_000_000).rounded())
    }
}
