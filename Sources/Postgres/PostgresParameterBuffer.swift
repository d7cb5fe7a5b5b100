/// Lays out text parameters as NUL-terminated C strings in one buffer for PQexecPrepared.
enum PostgresParameterBuffer {
    static func with<Result>(
        _ values: [PostgresValue],
        _ body: (Int32, UnsafePointer<UnsafePointer<CChar>?>?) throws -> Result
    ) throws -> Result {
        guard !values.isEmpty else { return try body(0, nil) }
        var buffer: [UInt8] = []
        var offsets: [Int?] = []
        offsets.reserveCapacity(values.count)
        for (index, value) in values.enumerated() {
            guard let text = value.text else {
                offsets.append(nil)
                continue
            }
            if text.utf8.contains(0) {
                throw PostgresError(
                    .invalidParameter,
                    message: "parameter $\(index + 1) contains a NUL byte, which PostgreSQL text cannot hold")
            }
            offsets.append(buffer.count)
            buffer.append(contentsOf: text.utf8)
            buffer.append(0)
        }
        if buffer.isEmpty { buffer.append(0) }
        return try buffer.withUnsafeBytes { raw in
            let base = raw.baseAddress!.assumingMemoryBound(to: CChar.self)
            let pointers: [UnsafePointer<CChar>?] = offsets.map { $0.map { UnsafePointer(base + $0) } }
            return try pointers.withUnsafeBufferPointer { pointerBuffer in
                try body(Int32(values.count), pointerBuffer.baseAddress)
            }
        }
    }
}
