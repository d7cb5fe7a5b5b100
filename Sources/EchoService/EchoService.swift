package import Choreography
import Contracts
import Foundation
import Postgres

/// A minimal service on the choreography runtime, for the runtime's tests and benchmark: on
/// `delivery.requested` it writes one row and emits `account.validated` (the shape of a real
/// service — inbox, one row, outbox — with no domain rules).
///
/// Deterministic triggers by owner id, so tests can drive every runtime path:
/// - `fail-always…` — the handler always throws (retried, then parked);
/// - `fail-once…` — the handler throws on the first attempt only;
/// - `blocked…` owners listed in the `blocked_owners` table — throw until the row is removed (replay);
/// - `alone…` — asks for a transaction of its own (`OwnTransactionNeeded`) when it shares one;
/// - `deadline…` — schedules the `echo-timeout` deadline 300 ms later, whose handler records a
///   row in `deadline_firings` and emits `delivery.scheduling-failed` (JOIN_TIMED_OUT);
///   `deadline-fails…` — that handler always throws; `deadline-conflict-once…` — the database
///   ends that handler's first transaction as a deadlock victim would be (SQLSTATE 40P01).
package enum EchoService {
    /// The echo service's definition for queue prefix `name` and schema `schema`.
    package static func definition(name: String = "echo", schema: String = "echo") throws -> ServiceDefinition {
        var definition = ServiceDefinition(name: name, schema: try SQLIdentifier(schema), migrations: migrations)
        // Its handler only touches rows of its own event: nothing for two transactions to wait on.
        definition.eventsPerTransaction = 16
        definition.on(DeliveryRequested.self) { request, received, context, db in
            if request.ownerId.hasPrefix("fail-always") {
                throw EchoFailure(message: "owner \(request.ownerId) always fails")
            }
            if request.ownerId.hasPrefix("fail-once"), received.attempt == 1 {
                throw EchoFailure(message: "owner \(request.ownerId) fails on the first attempt")
            }
            if request.ownerId.hasPrefix("alone"), context.sharesTransaction {
                throw OwnTransactionNeeded("owner \(request.ownerId) is handled alone")
            }
            if request.ownerId.hasPrefix("blocked"),
               try !db.query("SELECT 1 FROM blocked_owners WHERE owner_id = $1", [.text(request.ownerId)]).isEmpty {
                throw EchoFailure(message: "owner \(request.ownerId) is blocked")
            }
            // Deferred: it travels with the runtime's inbox/outbox statement and COMMIT (one round trip).
            try db.executeDeferred(
                "INSERT INTO echoes (event_id, delivery_id, owner_id) VALUES ($1, $2, $3)",
                [.uuid(received.id), .uuid(received.deliveryId), .text(request.ownerId)])
            try context.emit(AccountValidated(ownerId: request.ownerId, dailyLimit: 100_000, deliveriesToday: 1))
            if request.ownerId.hasPrefix("deadline") {
                context.scheduleDeadline("echo-timeout", at: Date().addingTimeInterval(0.3))
            }
        }
        definition.onDeadline("echo-timeout") { deadline, context, db in
            let owner = try db.query("SELECT owner_id FROM echoes WHERE delivery_id = $1", [.uuid(deadline.deliveryId)])
                .first?.decode(String.self, column: "owner_id")
            if let owner, owner.hasPrefix("deadline-fails") {
                throw EchoFailure(message: "the deadline of owner \(owner) always fails")
            }
            if let owner, owner.hasPrefix("deadline-conflict-once") {
                // A sequence's value survives the rollback: only the first transaction is ended.
                _ = try db.execute("""
                    DO $$ BEGIN
                        IF nextval('conflicts_raised') = 1 THEN
                            RAISE EXCEPTION 'echo: ended as a deadlock victim' USING ERRCODE = 'deadlock_detected';
                        END IF;
                    END $$
                    """)
            }
            _ = try db.execute("INSERT INTO deadline_firings (delivery_id) VALUES ($1)", [.uuid(deadline.deliveryId)])
            try context.emit(DeliverySchedulingFailed(reason: Reason(.joinTimedOut, "echo deadline passed")))
        }
        return definition
    }

    static let migrations = [
        Migration(version: 1, name: "echoes", sql: """
            CREATE TABLE echoes (
                event_id    uuid PRIMARY KEY,
                delivery_id uuid NOT NULL,
                owner_id    text NOT NULL,
                echoed_at   timestamptz NOT NULL DEFAULT clock_timestamp()
            );
            CREATE TABLE blocked_owners (owner_id text PRIMARY KEY);
            CREATE TABLE deadline_firings (
                id          bigserial PRIMARY KEY,
                delivery_id uuid NOT NULL,
                fired_at    timestamptz NOT NULL DEFAULT clock_timestamp()
            );
            """),
        Migration(version: 2, name: "conflicts raised", sql: "CREATE SEQUENCE conflicts_raised;"),
    ]
}

/// The echo handler's deliberate failure.
package struct EchoFailure: Error, CustomStringConvertible {
    /// Why it failed.
    package var message: String
    package var description: String { message }
}
