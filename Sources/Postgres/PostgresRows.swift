/// A result column: its name and its PostgreSQL type.
public struct PostgresColumn: Hashable, Sendable {
    /// The column's name (or alias) as the server reports it.
    public let name: String
    /// The column's type.
    public let dataType: PostgresDataType
}

/// The rows a statement returned, copied out of libpq into Swift memory, plus its command tag.
///
/// A random-access collection of `PostgresRow`; rows share one storage buffer, so iterating and
/// passing rows around is cheap.
public struct PostgresRows: RandomAccessCollection, Sendable {
    /// The result's columns, in order.
    public var columns: [PostgresColumn] { storage.columns }
    /// The command tag, e.g. "INSERT 0 1", "SELECT 3", "COMMIT".
    public var commandTag: String { storage.commandTag }
    /// Rows inserted, updated, deleted, selected, ... as the command tag reports (0 if none).
    public var affectedRows: Int { storage.affectedRows }

    package let storage: PostgresResultStorage

    package init(storage: PostgresResultStorage) {
        self.storage = storage
    }

    /// The first row's index, 0.
    public var startIndex: Int { 0 }
    /// The row count.
    public var endIndex: Int { storage.rowCount }

    /// The row at a zero-based position.
    public subscript(position: Int) -> PostgresRow {
        precondition(position >= 0 && position < storage.rowCount, "row index \(position) out of range")
        return PostgresRow(storage: storage, row: position)
    }
}

/// The immutable copy of one libpq result that `PostgresRows` and its rows share.
package final class PostgresResultStorage: Sendable {
    /// Where a cell's bytes are in `bytes`; a negative length is NULL.
    package struct CellRange: Sendable {
        package let offset: Int
        package let length: Int
    }

    package let columns: [PostgresColumn]
    package let rowCount: Int
    package let commandTag: String
    package let affectedRows: Int
    package let bytes: [UInt8]
    package let cells: [CellRange]

    package init(columns: [PostgresColumn], rowCount: Int, commandTag: String, affectedRows: Int, bytes: [UInt8], cells: [CellRange]) {
        self.columns = columns
        self.rowCount = rowCount
        self.commandTag = commandTag
        self.affectedRows = affectedRows
        self.bytes = bytes
        self.cells = cells
    }

    package func cell(row: Int, column: Int) -> PostgresCell {
        let range = cells[row * columns.count + column]
        let value = range.length < 0 ? nil : bytes[range.offset..<(range.offset + range.length)]
        return PostgresCell(columnName: columns[column].name, columnIndex: column, dataType: columns[column].dataType, bytes: value)
    }
}
