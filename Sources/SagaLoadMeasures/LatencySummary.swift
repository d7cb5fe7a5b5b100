import Histogram

/// Latencies recorded in an HDR histogram (microseconds, three significant digits) and the
/// percentiles the benchmarks print.
package struct LatencySummary: Sendable {
    /// The highest latency the histogram tracks: one hour, in microseconds.
    package static let highestTrackableMicroseconds: UInt64 = 3_600_000_000

    private var histogram = Histogram<UInt64>(highestTrackableValue: highestTrackableMicroseconds, numberOfSignificantValueDigits: .three)

    /// An empty summary.
    package init() {}

    /// Records one latency in seconds (negative values count as 0, values above an hour as an hour).
    package mutating func record(seconds: Double) {
        let microseconds = (max(0, seconds) * 1_000_000).rounded()
        histogram.record(UInt64(min(microseconds, Double(Self.highestTrackableMicroseconds))))
    }

    /// How many latencies were recorded.
    package var count: Int { Int(histogram.totalCount) }

    /// The latency at `percentile` (0…100) in milliseconds, within 0.1 %; 0 when empty.
    package func milliseconds(atPercentile percentile: Double) -> Double {
        count == 0 ? 0 : Double(histogram.valueAtPercentile(percentile)) / 1000
    }

    /// The largest latency recorded, in milliseconds (exact); 0 when empty.
    package var maximumMilliseconds: Double { count == 0 ? 0 : Double(histogram.maxRecorded) / 1000 }
}
