import AMQP
import APIAccess
import Choreography
package import Foundation
package import Postgres
package import SagaInspect

/// Where the explorer reads from and what it may do: the database (a read-only role is enough),
/// the broker's parking queues (optional), and replaying a parked message through
/// ``ParkedMessages`` (the same code path as `saga-admin parked replay`).
package struct SagaExplorer: Sendable {
    /// Connections to the database holding the six schemas.
    package var database: PostgresConnectionPool
    /// The broker URL for the parking queues; nil: parked messages are not read (nor replayed).
    package var amqpURL: String?
    /// Put before each service's queue names.
    package var queuePrefix: String
    /// The services' schemas.
    package var schemas: SagaSchemas
    /// How long without progress makes a saga stuck.
    package var stuckAfter: TimeInterval
    /// How often the event stream re-reads a saga.
    package var pollInterval: Duration
    /// How often the event stream re-reads the parking queues, in polls.
    package var parkedEveryPolls: Int

    /// An explorer over a database and, optionally, a broker.
    package init(
        database: PostgresConnectionPool, amqpURL: String?, queuePrefix: String = "", schemas: SagaSchemas = SagaSchemas(),
        stuckAfter: TimeInterval = SagaAnalysis.defaultStuckAfter, pollInterval: Duration = .milliseconds(500), parkedEveryPolls: Int = 10
    ) {
        self.database = database
        self.amqpURL = amqpURL
        self.queuePrefix = queuePrefix
        self.schemas = schemas
        self.stuckAfter = stuckAfter
        self.pollInterval = pollInterval
        self.parkedEveryPolls = parkedEveryPolls
    }

    /// Every parking queue's messages; without a broker URL, none and a warning.
    package func readParked() async -> SagaParkedMessageReader.Reading {
        guard let amqpURL else { return SagaParkedMessageReader.Reading(warnings: ["parked messages not checked: the explorer runs without a broker (--no-parked)"]) }
        return await SagaParkedMessageReader(amqpURL: amqpURL, queuePrefix: queuePrefix).read()
    }

    /// One saga's snapshot and report, or nil when no schema knows the delivery.
    package func report(_ deliveryId: UUID, parked: SagaParkedMessageReader.Reading, now: Date = Date()) async throws -> (report: SagaReport, snapshot: SagaSnapshot)? {
        let schemas = schemas
        let snapshot = try await database.withConnection { db in
            try await SagaSnapshotLoader.load(deliveryId: deliveryId, database: db, schemas: schemas, parked: parked.messages, extraWarnings: parked.warnings)
        }
        guard let snapshot else { return nil }
        return (SagaAnalysis.analyse(snapshot, now: now, stuckAfter: stuckAfter), snapshot)
    }

    /// A page of the saga list.
    package func page(_ filter: SagaListFilter, now: Date = Date()) async throws -> SagaListPage {
        let index = SagaIndex(schemas: schemas, stuckAfter: stuckAfter)
        let parked = filter.needsAnalysis || filter.analysePage ? await readParked().messages : []
        return try await database.withConnection { db in try await index.page(filter, parked: parked, database: db, now: now) }
    }

    /// The stats page's figures.
    package func stats(since: Date?) async throws -> ExplorerStats {
        let parked = await readParked().messages
        let schemas = schemas
        return try await database.withConnection { db in try await ExplorerStats.read(since: since, schemas: schemas, parked: parked, database: db) }
    }

    /// Whether `key` is a live operator's API key (only an operator may replay a parked message).
    package func isOperatorKey(_ key: String) async throws -> Bool {
        guard !key.isEmpty else { return false }
        return try await database.withConnection { db in
            try await db.withIsolation { db in try APIKeyStore.principal(forKey: key, on: db)?.role == .operator }
        }
    }

    /// Replays one parked message of a service (one of the six); returns the ids replayed.
    package func replay(service: String, messageId: String) async throws -> [String] {
        guard let amqpURL else { throw ExplorerInputError("the explorer runs without a broker: nothing to replay") }
        return try await ParkedMessages(amqpURL: amqpURL, service: queuePrefix + service).replay(messageIds: [messageId])
    }
}
