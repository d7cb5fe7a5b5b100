import Foundation
import Postgres
import Testing

/// LISTEN / NOTIFY across two sessions.
@Suite("Postgres LISTEN and NOTIFY")
struct PostgresNotificationTests {
    @Test("a notification's payload crosses from one connection to another")
    func deliversPayload() async throws {
        let listener = try await PostgresTestDatabase.connect()
        let sender = try await PostgresTestDatabase.connect()
        let channel = PostgresTestDatabase.uniqueName("Outbox")
        try await listener.listen(channel)
        let payload = #"{"event":"package.created","note":"Zürich ✈️"}"#
        try await sender.notify(channel, payload: payload)
        try await sender.notify(PostgresTestDatabase.uniqueName("other"), payload: "not for us")
        let received = try await listener.notifications(timeout: .seconds(5))
        #expect(received == [PostgresNotification(channel: channel, payload: payload, senderPID: await sender.backendPID)])
    }

    @Test("waiting times out empty, and wakes as soon as a notification arrives")
    func waitsWithTimeout() async throws {
        let listener = try await PostgresTestDatabase.connect()
        let sender = try await PostgresTestDatabase.connect()
        let channel = PostgresTestDatabase.uniqueName("wake")
        try await listener.listen(channel)

        let clock = ContinuousClock()
        let start = clock.now
        #expect(try await listener.notifications(timeout: .milliseconds(200)).isEmpty)
        let quiet = clock.now - start
        #expect(quiet >= .milliseconds(190))

        // A wait that timed out would return nothing: the notification in hand shows it woke on it
        // (the timeout is only a bound for a broken wake-up, far above any load's delay).
        async let waited = listener.notifications(timeout: .seconds(120))
        try await Task.sleep(for: .milliseconds(150))
        try await sender.notify(channel, payload: "wake up")
        #expect(try await waited.map(\.payload) == ["wake up"])
    }

    @Test("a notification sent inside a transaction arrives only after COMMIT")
    func deliveredOnCommit() async throws {
        let listener = try await PostgresTestDatabase.connect()
        let sender = try await PostgresTestDatabase.connect()
        let channel = PostgresTestDatabase.uniqueName("commit")
        try await listener.listen(channel)
        try await sender.transaction { sender in
            try sender.notify(channel, payload: "after commit")
            #expect(try await listener.notifications(timeout: .milliseconds(200)).isEmpty)
        }
        #expect(try await listener.notifications(timeout: .seconds(5)).map(\.payload) == ["after commit"])

        await #expect(throws: CancellationError.self) {
            try await sender.transaction { sender in
                try sender.notify(channel, payload: "rolled back")
                throw CancellationError()
            }
        }
        #expect(try await listener.notifications(timeout: .milliseconds(300)).isEmpty)
    }

    @Test("after reset() the connection listens on its channels again")
    func listensAgainAfterReset() async throws {
        let listener = try await PostgresTestDatabase.connect()
        let sender = try await PostgresTestDatabase.connect()
        let channel = PostgresTestDatabase.uniqueName("reset")
        try await listener.listen(channel)
        try await sender.query("SELECT pg_terminate_backend($1)", [.int32(await listener.backendPID)])
        var lost: PostgresError?
        for _ in 0..<5 where lost == nil {
            do { _ = try await listener.notifications(timeout: .seconds(1)) } catch let error as PostgresError { lost = error }
        }
        #expect(lost?.code == .connectionLost)
        try await listener.reset()
        try await sender.notify(channel, payload: "still listening")
        #expect(try await listener.notifications(timeout: .seconds(5)).map(\.payload) == ["still listening"])
    }
}
