/// One result row: typed access to its cells by column name or index.
///
/// `try row.decode(UUID.self, column: "id")` throws `PostgresError` with code `.decoding` for a
/// missing column, a NULL, or a type that does not match; decode `T?` for NULL-able columns.
public struct PostgresRow: Sendable {
    package let storage: PostgresResultStorage
    package let row: Int

    /// The row's columns, in order.
    public var columns: [PostgresColumn] { storage.columns }

    /// Decodes the cell in the named column (the first one, if several have that name).
    public func decode<Value: PostgresDecodable>(_ type: Value.Type = Value.self, column name: String) throws -> Value {
        try Value(from: cell(column: name))
    }

    /// Decodes the cell at a zero-based column index.
    public func decode<Value: PostgresDecodable>(_ type: Value.Type = Value.self, at index: Int) throws -> Value {
        try Value(from: cell(at: index))
    }

    /// Whether the named column is NULL in this row.
    public func isNull(column name: String) throws -> Bool {
        try cell(column: name).bytes == nil
    }

    /// The raw cell in the named column.
    public func cell(column name: String) throws -> PostgresCell {
        guard let index = storage.columns.firstIndex(where: { $0.name == name }) else {
            let known = storage.columns.map(\.name).joined(separator: ", ")
            throw PostgresError(.decoding, message: "no column named \"\(name)\" in the result (columns: \(known))")
        }
        return storage.cell(row: row, column: index)
    }

    /// The raw cell at a zero-based column index.
    public func cell(at index: Int) throws -> PostgresCell {
        guard index >= 0 && index < storage.columns.count else {
            throw PostgresError(.decoding, message: "no column at index \(index) (the result has \(storage.columns.count))")
        }
        return storage.cell(row: row, column: index)
    }
}

/// One cell of a result: its column, its type, and its value in PostgreSQL's text format.
public struct PostgresCell: Sendable {
    /// The column's name.
    public let columnName: String
    /// The column's zero-based index.
    public let columnIndex: Int
    /// The column's type.
    public let dataType: PostgresDataType
    /// The value's text-format bytes; `nil` for SQL NULL.
    public let bytes: ArraySlice<UInt8>?

    /// The value as UTF-8 text, or `nil` for NULL.
    public var text: String? { bytes.map { String(decoding: $0, as: UTF8.self) } }

    /// The bytes of a non-NULL value; throws a `.decoding` error naming `type` for NULL.
    public func nonNullBytes<Value>(decoding type: Value.Type) throws -> ArraySlice<UInt8> {
        guard let bytes else {
            throw PostgresError(
                .decoding,
                message: "column \"\(columnName)\" is NULL; decode \(Value.self)? to accept NULL")
        }
        return bytes
    }

    /// A `.decoding` error saying this cell's type cannot be decoded as `type`.
    public func typeMismatch<Value>(_ type: Value.Type) -> PostgresError {
        PostgresError(.decoding, message: "column \"\(columnName)\" of type \(dataType) cannot be decoded as \(Value.self)")
    }

    /// A `.decoding` error saying this cell's text is not a valid `type`.
    public func malformed<Value>(_ type: Value.Type) -> PostgresError {
        PostgresError(.decoding, message: "column \"\(columnName)\" of type \(dataType) holds text that is not a valid \(Value.self)")
    }
}
