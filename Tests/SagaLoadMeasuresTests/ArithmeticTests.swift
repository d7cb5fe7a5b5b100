import SagaLoadMeasures
import Testing

/// CPU deltas, database counter deltas and latency percentiles.
@Suite("Measurement arithmetic")
struct ArithmeticTests {
    @Test("CPU: members in both count their difference, new ones whole, exited ones nothing")
    func cpuDelta() throws {
        let start = CPUSnapshot(ticks: ["drone": [1: 100, 2: 50], "postgres": [9: 1000], "gone": [5: 10]])
        let end = CPUSnapshot(ticks: ["drone": [1: 300, 3: 40], "postgres": [9: 1500], "new": [7: 20]])
        let usage = CPUUsage.usage(from: start, to: end, ticksPerSecond: 100)
        let drone = try #require(usage["drone"])
        #expect(drone.seconds == 2.4)
        #expect(drone.exitedMembers == 1)
        #expect(drone.startedMembers == 1)
        #expect(usage["postgres"] == CPUGroupUsage(seconds: 5))
        #expect(usage["gone"] == CPUGroupUsage(seconds: 0, exitedMembers: 1))
        #expect(usage["new"] == CPUGroupUsage(seconds: 0.2, startedMembers: 1))
        #expect(CPUUsage.millisecondsPerSaga(2.4, sagas: 1200) == 2)
        #expect(CPUUsage.millisecondsPerSaga(2.4, sagas: 0) == 0)
    }

    @Test("database counters: the window's delta less the bench's own queries")
    func counters() {
        let start = DatabaseCounters(transactions: 1000, statements: 5000)
        let end = DatabaseCounters(transactions: 3100, statements: 9100)
        let delta = DatabaseCounters.delta(from: start, to: end, less: DatabaseCounters(transactions: 100, statements: 100))
        #expect(delta == DatabaseCounters(transactions: 2000, statements: 4000))
        let withoutStatements = DatabaseCounters.delta(
            from: DatabaseCounters(transactions: 10, statements: nil), to: end, less: DatabaseCounters(transactions: 0, statements: 0))
        #expect(withoutStatements.statements == nil)
        #expect(DatabaseCounters.perSaga(4000, sagas: 200) == 20)
        #expect(DatabaseCounters.perSaga(4000, sagas: 0) == 0)
    }

    @Test("latency percentiles within the histogram's precision, the maximum exact")
    func percentiles() {
        var latency = LatencySummary()
        #expect(latency.milliseconds(atPercentile: 50) == 0)
        for millisecond in 1...1000 { latency.record(seconds: Double(millisecond) / 1000) }
        latency.record(seconds: -1)
        #expect(latency.count == 1001)
        #expect(abs(latency.milliseconds(atPercentile: 50) - 500) <= 0.5)
        #expect(abs(latency.milliseconds(atPercentile: 90) - 900) <= 0.9)
        #expect(abs(latency.milliseconds(atPercentile: 99) - 990) <= 1)
        #expect(latency.maximumMilliseconds == 1000)
    }
}

/// The idle system's transactions over the pause before the last reading.
@Suite("Idle transactions")
struct IdleTransactionsTests {
    @Test("rate times seconds, rounded; nothing for a negative rate or pause")
    func idle() {
        #expect(DatabaseCounters.idleTransactions(perSecond: 74.6, over: 11) == 821)
        #expect(DatabaseCounters.idleTransactions(perSecond: -3, over: 11) == 0)
        #expect(DatabaseCounters.idleTransactions(perSecond: 10, over: -1) == 0)
    }
}
