@testable import Choreography
import Foundation
import Testing

/// The deadline scheduler's alarm: it sleeps until the next poll unless a handler asks for an
/// earlier look, and is woken by the request itself.
@Suite("Deadline alarm")
struct DeadlineAlarmTests {
    @Test("with no request, the wait lasts until the limit")
    func waitsUntilTheLimit() async {
        let alarm = DeadlineAlarm()
        let started = ContinuousClock.now
        await alarm.wait(until: started + .milliseconds(200))
        #expect(ContinuousClock.now - started >= .milliseconds(200))
    }

    @Test("a request for now, made while the scheduler sleeps, wakes it long before the limit")
    func requestWakesTheSleeper() async {
        let alarm = DeadlineAlarm()
        let started = ContinuousClock.now
        async let woken: Void = alarm.wait(until: started + .seconds(30))
        try? await Task.sleep(for: .milliseconds(100))
        alarm.request(Date())
        await woken
        #expect(ContinuousClock.now - started < .seconds(10))
    }

    @Test("a request made just as the wait begins is not missed")
    func requestRacingTheWait() async {
        let alarm = DeadlineAlarm()
        let started = ContinuousClock.now
        // Requests at different moments of the wait's start, to land between its look at the
        // requests and its falling asleep.
        for attempt in 0..<200 {
            let waiting = Task { await alarm.wait(until: ContinuousClock.now + .seconds(60)) }
            for _ in 0..<(attempt % 20) { await Task.yield() }
            if attempt % 3 == 0 { try? await Task.sleep(for: .microseconds(attempt % 40 * 5)) }
            alarm.request(Date())
            await waiting.value
        }
        // A missed request would leave one wait sleeping its full minute.
        #expect(ContinuousClock.now - started < .seconds(50))
    }

    @Test("a request for a moment before the limit ends the wait at that moment; a due request ends the next wait at once")
    func requestForLater() async {
        let alarm = DeadlineAlarm()
        alarm.request(Date().addingTimeInterval(0.3))
        let started = ContinuousClock.now
        await alarm.wait(until: started + .seconds(30))
        let elapsed = ContinuousClock.now - started
        #expect(elapsed >= .milliseconds(250) && elapsed < .seconds(10), "\(elapsed)")

        alarm.request(Date().addingTimeInterval(-1))
        let again = ContinuousClock.now
        await alarm.wait(until: again + .seconds(30))
        #expect(ContinuousClock.now - again < .seconds(1))
    }

    @Test("cancelling the waiting task ends the wait")
    func cancellationEndsTheWait() async {
        let alarm = DeadlineAlarm()
        let started = ContinuousClock.now
        let waiting = Task { await alarm.wait(until: started + .seconds(30)) }
        try? await Task.sleep(for: .milliseconds(100))
        waiting.cancel()
        await waiting.value
        #expect(ContinuousClock.now - started < .seconds(10))
    }
}
