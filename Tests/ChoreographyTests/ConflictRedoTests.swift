@testable import Choreography
import Postgres
import Testing

@Suite("Conflict redo: when an event's own transaction is done again at once")
struct ConflictRedoTests {
    @Test("a deadlock or a serialization failure is done again, up to the limit; any other error is not (a handler's own included)")
    func redoDecision() {
        let deadlock = PostgresError(.server, message: "deadlock detected", sqlState: "40P01")
        let serialization = PostgresError(.server, message: "could not serialize access", sqlState: "40001")
        let unique = PostgresError(.server, message: "duplicate key", sqlState: "23505")
        let lost = PostgresError(.connectionLost, message: "server closed the connection")
        #expect(ConflictRedo.again(after: deadlock, redone: 0))
        #expect(ConflictRedo.again(after: serialization, redone: ConflictRedo.limit - 1))
        #expect(!ConflictRedo.again(after: deadlock, redone: ConflictRedo.limit))
        #expect(!ConflictRedo.again(after: unique, redone: 0))
        #expect(!ConflictRedo.again(after: lost, redone: 0))
        #expect(!ConflictRedo.endedByConflict(HandlersOwnError()))
    }
}

/// An error a handler throws itself.
private struct HandlersOwnError: Error {}
