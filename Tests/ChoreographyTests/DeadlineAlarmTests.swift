@testable import Choreography
import Foundation
import Testing

/// The deadline scheduler's alarm: it sleeps until the next poll unless a handler asks for an
/// earlier look, and is woken by the request itself. Each wait says why it ended, so the tests
/// check that, not how long it took (which depends on the machine's load); a limit is only
/// reached when a wake-up was missed, and the limits are long enough never to be reached otherwise.
@Suite("Deadline alarm")
struct DeadlineAlarmTests {
    @Test("with no request, the wait lasts until the limit")
    func waitsUntilTheLimit() async {
        let alarm = DeadlineAlarm()
        let started = ContinuousClock.now
        #expect(await alarm.wait(until: started + .milliseconds(200)) == .limit)
        #expect(ContinuousClock.now - started >= .milliseconds(200))
    }

    @Test("a request for now, made while the scheduler sleeps, wakes it")
    func requestWakesTheSleeper() async {
        let alarm = DeadlineAlarm()
        async let woken = alarm.wait(until: .now + .seconds(120))
        try? await Task.sleep(for: .milliseconds(100))
        alarm.request(Date())
        #expect(await woken == .request)
    }

    @Test("a request made just as the wait begins is not missed")
    func requestRacingTheWait() async {
        let alarm = DeadlineAlarm()
        // Requests at different moments of the wait's start, to land between its look at the
        // requests and its falling asleep. A missed one would sleep to its limit.
        var wakes: [DeadlineAlarm.Wake] = []
        for attempt in 0..<200 {
            let waiting = Task { await alarm.wait(until: ContinuousClock.now + .seconds(60)) }
            for _ in 0..<(attempt % 20) { await Task.yield() }
            if attempt % 3 == 0 { try? await Task.sleep(for: .microseconds(attempt % 40 * 5)) }
            alarm.request(Date())
            wakes.append(await waiting.value)
        }
        #expect(wakes.allSatisfy { $0 == .request }, "\(wakes.filter { $0 != .request }.count) wake-ups missed")
    }

    @Test("a request for a moment before the limit ends the wait at that moment; a due request ends the next wait at once")
    func requestForLater() async {
        let alarm = DeadlineAlarm()
        alarm.request(Date().addingTimeInterval(0.3))
        let started = ContinuousClock.now
        #expect(await alarm.wait(until: started + .seconds(120)) == .request)
        #expect(ContinuousClock.now - started >= .milliseconds(250))

        alarm.request(Date().addingTimeInterval(-1))
        #expect(await alarm.wait(until: .now + .seconds(120)) == .request)
    }

    @Test("cancelling the waiting task ends the wait")
    func cancellationEndsTheWait() async {
        let alarm = DeadlineAlarm()
        let waiting = Task { await alarm.wait(until: .now + .seconds(120)) }
        try? await Task.sleep(for: .milliseconds(100))
        waiting.cancel()
        #expect(await waiting.value == .cancelled)
    }
}
