import AMQP
import Contracts
import Foundation
import Logging
import Postgres
import ServiceLifecycle
import Tracing
import UUIDText

/// The service loop: takes deliveries from the work queue, handles each in one local transaction
/// (inbox → handler → outbox), publishes what the handlers emitted, and only then acknowledges.
///
/// Deliveries are taken in batches of up to `prefetch` and spread over the worker connections,
/// each of which handles its share one transaction at a time. A handler failure goes to a delay
/// queue for a later attempt, and after the last attempt to the parking queue; input that can
/// never succeed is parked at once. A lost database connection keeps the delivery in hand (not
/// acknowledged, not requeued) until the connection is back; a lost broker connection is
/// re-established and whatever was not acknowledged comes again, absorbed by the inbox.
final class EventProcessor: Service, Sendable {
    private let definition: ServiceDefinition
    private let configuration: ChoreographyConfiguration
    private let topology: ServiceTopology
    private let sagaTopology: SagaTopology?
    private let workers: [PostgresConnection]
    private let outbox: OutboxPublisher
    private let validator: ContractValidator
    /// The broker users whose relayed copies are believed (see ``PublisherIdentity``).
    private let relayers: Set<String>
    private let health: HealthState
    private let metrics: RuntimeMetrics
    private let alarm: DeadlineAlarm
    private let tracer: RuntimeTracer
    private let logger: Logger

    init(
        definition: ServiceDefinition, configuration: ChoreographyConfiguration, topology: ServiceTopology,
        sagaTopology: SagaTopology?, workers: [PostgresConnection], outbox: OutboxPublisher,
        validator: ContractValidator, relayers: Set<String>, health: HealthState, metrics: RuntimeMetrics, alarm: DeadlineAlarm,
        tracer: RuntimeTracer = .off, logger: Logger
    ) {
        precondition(!workers.isEmpty, "at least one worker connection")
        self.definition = definition
        self.configuration = configuration
        self.topology = topology
        self.sagaTopology = sagaTopology
        self.workers = workers
        self.outbox = outbox
        self.validator = validator
        self.relayers = relayers
        self.health = health
        self.metrics = metrics
        self.alarm = alarm
        self.tracer = tracer
        self.logger = logger
    }

    private var stopping: Bool { Task.isShuttingDownGracefully || Task.isCancelled }

    func run() async throws {
        guard let consumer = try await connectConsumer() else { return }
        // A handled batch is settled (published, acknowledged) while the next one is handled, so
        // the database and the broker work at the same time; settlements run one at a time, in
        // order, each as the one child of this group in flight.
        try await withThrowingTaskGroup(of: [AMQPDelivery].self) { group in
            var inHand: [AMQPDelivery] = []
            var settling = false
            while !stopping {
                let fresh: [AMQPDelivery]
                do {
                    fresh = try await consumer.nextDeliveries(
                        maximum: max(1, configuration.prefetch - inHand.count),
                        timeout: inHand.isEmpty && !settling ? .milliseconds(100) : .zero)
                } catch let error as AMQPError {
                    _ = try await leftovers(&group, &settling, on: consumer)
                    inHand = try await recoverConsumer(consumer, after: error)
                    continue
                }
                let batch = inHand + fresh
                inHand = []
                guard !batch.isEmpty else {
                    inHand = try await leftovers(&group, &settling, on: consumer)
                    continue
                }
                let spans = tracer.tracer == nil ? [] : batch.map { tracer.startProcessing($0, queue: topology.workQueue) }
                let outcomes = await handle(batch, spans: spans)
                inHand = try await leftovers(&group, &settling, on: consumer)
                // A multiple ack would also acknowledge the earlier deliveries still in hand.
                let mayAckMultiple = inHand.isEmpty
                group.addTask { try await self.settle(batch, outcomes, spans, on: consumer, mayAckMultiple: mayAckMultiple) }
                settling = true
                if !inHand.isEmpty { try? await Task.sleep(for: .milliseconds(200)) }
            }
            // Graceful stop: the last batch is settled; what is still in hand goes back to the
            // queue when the channel closes.
            _ = try await leftovers(&group, &settling, on: consumer)
        }
        await consumer.close()
        health.setBrokerConnected(false)
        logger.info("event processor stopped", metadata: ["amqp.queue": "\(topology.workQueue)"])
    }

    /// Waits for the settlement in flight, if any; returns the deliveries it kept in hand (none
    /// after a broker failure, which is recovered from here: the broker redelivers what was not
    /// acknowledged).
    private func leftovers(
        _ group: inout ThrowingTaskGroup<[AMQPDelivery], any Error>, _ settling: inout Bool, on consumer: AMQPConnection
    ) async throws -> [AMQPDelivery] {
        guard settling else { return [] }
        settling = false
        do {
            return try await group.next() ?? []
        } catch let error as AMQPError {
            return try await recoverConsumer(consumer, after: error)
        }
    }

    // MARK: Broker

    private func connectConsumer() async throws -> AMQPConnection? {
        var amqp = try AMQPConfiguration(url: configuration.amqpURL)
        amqp.connectionName = "\(definition.name) consumer"
        return try await Backoff.retry(while: { !stopping }, onFailure: brokerUnavailable) {
            let consumer = try await AMQPConnection.connect(amqp, logger: logger)
            try await prepare(consumer)
            return consumer
        }
    }

    private func brokerUnavailable(_ error: any Error) {
        health.setBrokerConnected(false)
        logger.info("broker not reachable; retrying", metadata: ["error.message": "\(error)"])
    }

    private func prepare(_ consumer: AMQPConnection) async throws {
        try await sagaTopology?.declareMissing(on: consumer)
        try await topology.declare(on: consumer)
        try await consumer.setPrefetch(UInt16(clamping: configuration.prefetch))
        // A reconnect re-registers the consumer it had: consuming again would double the prefetch.
        if await !consumer.isConsuming(queue: topology.workQueue) { try await consumer.consume(queue: topology.workQueue) }
        health.setBrokerConnected(true)
        logger.info("consuming", metadata: ["amqp.queue": "\(topology.workQueue)", "amqp.prefetch": "\(configuration.prefetch)"])
    }

    /// After a broker failure: channel-level ones reopen by themselves; connection-level ones
    /// reconnect with backoff. Deliveries in hand are gone either way (the broker redelivers).
    private func recoverConsumer(_ consumer: AMQPConnection, after error: AMQPError) async throws -> [AMQPDelivery] {
        logger.info("broker failure in the consumer; recovering", metadata: ["error.message": "\(error)"])
        // Not ready while not consuming (readiness is what a load balancer or orchestrator sees).
        health.setBrokerConnected(false)
        // Whatever failed (the connection, the channel, or the broker cancelling the consumer
        // because its queue was deleted), the queues are declared again and consumption resumes.
        _ = try await Backoff.retry(while: { !stopping }, onFailure: brokerUnavailable) {
            if await !consumer.isOpen {
                try await consumer.reconnect(policy: AMQPReconnectPolicy(maximumAttempts: 1))
            }
            try await prepare(consumer)
        }
        return []
    }

    // MARK: Handling

    private typealias Outcome = HandlingOutcome

    /// Handles a batch, spreading it over as many worker connections as it fills (see
    /// ``WorkerShares``), by delivery: one delivery's events go to one worker, in arrival order.
    /// `spans` are the deliveries' consumer spans (empty with tracing off).
    private func handle(_ batch: [AMQPDelivery], spans: [(any Span)?]) async -> [Outcome] {
        let keys = batch.enumerated().map { index, delivery in delivery.properties.correlationId?.hashValue ?? index }
        let shares = WorkerShares.split(keys, workers: workers.count, eventsPerTransaction: eventsPerTransaction)
        var outcomes = [Outcome?](repeating: nil, count: batch.count)
        await withTaskGroup(of: [(Int, Outcome)].self) { group in
            for (worker, share) in shares.enumerated() {
                group.addTask {
                    // The worker's whole share runs on its connection's thread: no hop per event.
                    await self.workers[worker].withIsolation { db in await self.handleShare(share, of: batch, spans: spans, on: db) }
                }
            }
            for await results in group {
                for (index, outcome) in results { outcomes[index] = outcome }
            }
        }
        return outcomes.map { $0! }
    }

    /// An event ready for its handler.
    private struct Prepared {
        let index: Int
        let event: ReceivedEvent
        let handler: EventHandler
        let logger: Logger
        /// The delivery's consumer span (nil with tracing off).
        let span: (any Span)?
        /// Its propagated context, stored with what the handler emits and schedules.
        let trace: TraceCarrier?
    }

    /// Handles one worker's share of a batch, up to `eventsPerTransaction` events per transaction.
    private func handleShare(
        _ indices: [Int], of batch: [AMQPDelivery], spans: [(any Span)?], on db: isolated PostgresConnection
    ) async -> [(Int, Outcome)] {
        var results: [(Int, Outcome)] = []
        var ready: [Prepared] = []
        for index in indices {
            switch prepare(batch[index], index: index, span: spans.isEmpty ? nil : spans[index]) {
            case .success(let prepared): ready.append(prepared)
            case .failure(let settled): results.append((index, settled.outcome))
            }
        }
        if eventsPerTransaction > 1 { ready = ready.inDeliveryOrder(\.event.deliveryId) }
        var start = 0
        while start < ready.count {
            let chunk = Array(ready[start..<min(ready.count, start + eventsPerTransaction)])
            start += chunk.count
            results += await handleChunk(chunk, on: db)
        }
        return results
    }

    /// Handles a chunk's events in one transaction when it holds several. If that fails and some
    /// of them are in the inbox (copies of events handled before, as after a redelivery: the
    /// inbox or the handler refused them), those are settled as duplicates, as each would be
    /// alone, and the others tried together once more; otherwise each is handled alone, so that
    /// each gets its own outcome.
    private func handleChunk(_ chunk: [Prepared], on db: isolated PostgresConnection, withoutDuplicates: Bool = false) async -> [(Int, Outcome)] {
        var results: [(Int, Outcome)] = []
        if chunk.count > 1 {
            switch await handleTogether(chunk, on: db) {
            case .settled(let outcomes):
                return zip(chunk.map(\.index), outcomes).map { ($0, $1) }
            case .failed(let error):
                if !withoutDuplicates, let handled = try? RuntimeTables.inInbox(chunk.map(\.event.id), db), !handled.isEmpty {
                    logger.debug("a transaction of \(chunk.count) events held \(handled.count) handled before; doing the others again together")
                    metrics.sharedTransaction("redone-without-duplicates")
                    for item in chunk where handled.contains(item.event.id) { results.append((item.index, .duplicate(type: item.event.type))) }
                    return results + (await handleChunk(chunk.filter { !handled.contains($0.event.id) }, on: db, withoutDuplicates: true))
                }
                logger.debug("a transaction of \(chunk.count) events failed; handling them one by one", metadata: ["error.message": "\(error)"])
                metrics.sharedTransaction("redone-one-by-one")
            }
        }
        for item in chunk { results.append((item.index, await handleAlone(item, on: db))) }
        return results
    }

    private var eventsPerTransaction: Int { configuration.eventsPerTransaction ?? definition.eventsPerTransaction }

    /// An outcome decided before any transaction (poison input, no handler, an injected fault).
    private struct Settled: Error { let outcome: Outcome }

    private func prepare(_ delivery: AMQPDelivery, index: Int, span: (any Span)?) -> Result<Prepared, Settled> {
        let event: ReceivedEvent
        do {
            event = try EventCodec.decodeIncoming(
                delivery, validator: validator, relayers: relayers, queuePrefix: definition.sagaQueuePrefix ?? "")
        } catch {
            return .failure(Settled(outcome: .poison(reason: EventCodec.parkingReason(error), error: String(reflecting: error))))
        }
        guard let handler = definition.handler(for: event.type) else {
            return .failure(Settled(outcome: .poison(reason: "no-handler", error: "\(definition.name) has no handler for \(event.type)")))
        }
        if configuration.faults.failureProbability > 0, Double.random(in: 0..<1) < configuration.faults.failureProbability {
            return .failure(Settled(outcome: .failed(type: event.type, error: "injected fault (FAULT_FAILURE_PROBABILITY)")))
        }
        return .success(Prepared(
            index: index, event: event, handler: handler, logger: eventLogger(event), span: span, trace: tracer.carrier(of: span)))
    }

    /// Runs one event's handler in the open transaction.
    private func run(_ item: Prepared, sharesTransaction: Bool = false, _ db: isolated PostgresConnection) throws -> UnitOfWork.Done<Void> {
        try UnitOfWork.run(
            deliveryId: item.event.deliveryId, causationId: item.event.id, logger: item.logger,
            forwardFailureProbability: configuration.faults.forwardFailureProbability, trace: item.trace,
            sharesTransaction: sharesTransaction, db
        ) { context in try item.handler(item.event, &context, db) }
    }

    /// Runs a transaction's events: all at once through the service's batch handler when it has
    /// one and they are several, else each through its own handler; then records them all in the inbox and what they
    /// emitted in the outbox, in one statement sent with the COMMIT. Returns each event's outbox
    /// rows and the soonest deadline its handler scheduled.
    private func runAndRecord(_ chunk: [Prepared], _ db: isolated PostgresConnection) throws -> [(PendingOutboxRows, Date?)] {
        if let batchHandler = definition.batchHandler, chunk.count > 1 {
            try batchHandler(chunk.map(\.event), logger, db)
            _ = try RuntimeTables.recordHandled(chunk.map { HandledEvent(event: $0.event, traceId: $0.trace?.traceId, emitted: []) }, db)
            return chunk.map { _ in (.nothing, nil) }
        }
        let done = try chunk.map { item in try run(item, sharesTransaction: chunk.count > 1, db) }
        let outboxes = try RuntimeTables.recordHandled(
            zip(chunk, done).map { item, done in HandledEvent(event: item.event, traceId: item.trace?.traceId, emitted: done.emitted) }, db)
        return zip(outboxes, done).map { ($0, $1.soonestDeadline) }
    }

    /// What a shared transaction came to.
    private enum Together {
        /// Each event's outcome: committed, or kept because the database is unavailable.
        case settled([Outcome])
        /// It was rolled back: one of its events failed (a handler error, a duplicate, a deadlock).
        case failed(any Error)
    }

    /// Handles several events in one transaction. If any of them fails, the whole transaction
    /// rolls back and this says why, for ``handleChunk(_:on:withoutDuplicates:)`` to give each event its own outcome.
    private func handleTogether(_ chunk: [Prepared], on db: isolated PostgresConnection) async -> Together {
        let started = ContinuousClock.now
        let transactions = tracer.tracer == nil ? [] : chunk.map { tracer.startTransaction(under: $0.span, events: chunk.count) }
        do {
            let handled: [(PendingOutboxRows, Date?)]
            do {
                handled = try await db.transaction { db in try self.runAndRecord(chunk, db) }
            } catch {
                for span in transactions { tracer.end(span, error: error) }
                throw error
            }
            for span in transactions { tracer.end(span) }
            // Committed: a deadline due before the next poll rings this instance's scheduler.
            if let soonest = handled.compactMap(\.1).min() { alarm.request(soonest) }
            let elapsed = ContinuousClock.now - started
            for _ in chunk { metrics.handlerLatency(elapsed) }
            metrics.sharedTransaction("committed")
            return .settled(try zip(chunk, handled).map { item, result in .handled(type: item.event.type, outbox: try result.0.rows()) })
        } catch let error as PostgresError where error.isConnectionProblem {
            logger.info("database unavailable; keeping the deliveries", metadata: ["error.message": "\(error)"])
            await restore(db)
            return .settled(chunk.map { _ in .databaseUnavailable })
        } catch {
            return .failed(error)
        }
    }

    /// Handles one event in its own transaction.
    private func handleAlone(_ item: Prepared, on db: isolated PostgresConnection) async -> Outcome {
        let event = item.event
        let started = ContinuousClock.now
        // A duplicate's transaction is rolled back as designed, so its span is not marked failed.
        let transaction = tracer.startTransaction(under: item.span)
        do {
            // The inbox is checked optimistically, at the end of the transaction, in the same
            // statement as the outbox insert and sent with the COMMIT: a duplicate fails it on
            // the inbox's key (waiting for the first copy to commit if it is in flight), and
            // everything the handler did is rolled back. BEGIN travels with the handler's first
            // statement, so a handler whose statements are all deferred costs one round trip.
            let done: (outbox: PendingOutboxRows, soonestDeadline: Date?)
            var conflicts = 0
            while true {
                do {
                    done = try await db.transaction { db in try self.runAndRecord([item], db)[0] }
                    break
                } catch where ConflictRedo.again(after: error, redone: conflicts) {
                    // The database chose this transaction to break a deadlock (or a serialization
                    // conflict): not the handler's failure, so it is done again at once rather
                    // than sent through the retry queues.
                    conflicts += 1
                    item.logger.info("transaction ended by a conflict; doing it again", metadata: [
                        "error.message": "\(error)", "transaction.redo": "\(conflicts)",
                    ])
                }
            }
            let outbox = try done.outbox.rows()
            tracer.end(transaction)
            if let soonest = done.soonestDeadline { alarm.request(soonest) }
            metrics.handlerLatency(ContinuousClock.now - started)
            return .handled(type: event.type, outbox: outbox)
        } catch where RuntimeTables.isDuplicate(error) {
            tracer.end(transaction)
            return .duplicate(type: event.type)
        } catch let error as PostgresError where error.isConnectionProblem {
            tracer.end(transaction, error: error)
            item.logger.info("database unavailable; keeping the delivery", metadata: ["error.message": "\(error)"])
            await restore(db)
            return .databaseUnavailable
        } catch {
            // A handler that refuses a duplicate (its state already moved on) is still a duplicate.
            if (try? RuntimeTables.isInInbox(event.id, db)) == true {
                tracer.end(transaction)
                return .duplicate(type: event.type)
            }
            tracer.end(transaction, error: error)
            item.logger.info("handler failed", metadata: ["error.message": "\(error)", "delivery.attempt": "\(event.attempt)"])
            return .failed(type: event.type, error: "\(error)")
        }
    }

    private func eventLogger(_ event: ReceivedEvent) -> Logger {
        var logger = self.logger
        logger[metadataKey: "delivery.id"] = .string(event.deliveryId.uppercaseText)
        logger[metadataKey: "event.id"] = .string(event.id.uppercaseText)
        logger[metadataKey: "event.type"] = "\(event.type)"
        return logger
    }

    /// Waits for a lost database connection to come back.
    private func restore(_ db: PostgresConnection) async {
        health.setDatabaseConnected(false)
        let restored = try? await Backoff.retry(while: { !stopping }, isPermanent: { _ in false }) {
            try await db.reset()
            return true
        }
        if restored == true { health.setDatabaseConnected(true) }
    }

    // MARK: Settling

    /// Publishes the batch's outbox events, sends failures to retry or parking, acknowledges
    /// what is done, and returns the deliveries still in hand.
    private func settle(
        _ batch: [AMQPDelivery], _ outcomes: [Outcome], _ spans: [(any Span)?], on consumer: AMQPConnection, mayAckMultiple: Bool
    ) async throws -> [AMQPDelivery] {
        if let pause = configuration.faults.pauseAfterCommit { try? await Task.sleep(for: pause) }
        if configuration.faults.crashProbability > 0, Double.random(in: 0..<1) < configuration.faults.crashProbability {
            logger.critical("injected crash (FAULT_CRASH_PROBABILITY) between commit and publish")
            _exit(70)
        }
        // 1. Fast path: what the handlers committed goes out now; the relay covers any failure.
        let rows = outcomes.flatMap { outcome -> [OutboxRow] in
            if case .handled(_, let rows) = outcome { return rows } else { return [] }
        }
        await publishCommitted(rows)

        // 2. Failures: a copy goes to a delay queue or the parking queue, confirmed before the
        //    original is acknowledged.
        let settlements = zip(batch, outcomes).map { delivery, outcome in
            Settlement.of(outcome, attempt: EventCodec.attempt(of: delivery), policy: configuration.retryPolicy)
        }
        var copies: [AMQPOutgoingMessage] = []
        for (index, settlement) in settlements.enumerated() {
            switch settlement {
            case .retry(let attempt, let error):
                copies.append(retryCopy(batch[index], attempt: attempt, error: error))
                if case .failed(let type, _) = outcomes[index] { metrics.retried(type) }
            case .park(let reason, let attempt, let error):
                copies.append(parkedCopy(batch[index], reason: reason, error: error, attempt: attempt))
                metrics.parked(reason: reason)
                logger.info("parked", metadata: ["amqp.queue": "\(topology.parkedQueue)", "parking.reason": "\(reason)", "error.message": "\(error)"])
            case .acknowledge, .keep:
                continue
            }
        }
        var copiesSafe = true
        if !copies.isEmpty {
            do {
                try await outbox.broker.publishConfirmed(copies)
            } catch {
                logger.info("could not publish retry/parking copies; keeping them", metadata: ["error.message": "\(error)"])
                copiesSafe = false
            }
        }
        for (index, span) in spans.enumerated() {
            let settled = settlements[index].acknowledges(copiesConfirmed: copiesSafe) ? settlements[index] : .keep
            tracer.endProcessing(span, outcome: outcomes[index], settlement: settled)
        }

        if let pause = configuration.faults.pauseBeforeAck { try? await Task.sleep(for: pause) }
        // 3. Acknowledge what is finished; keep the rest in hand.
        var inHand: [AMQPDelivery] = []
        var finished: [AMQPDelivery] = []
        for (index, outcome) in outcomes.enumerated() {
            switch outcome {
            case .handled(let type, _): metrics.handled(type)
            case .duplicate(let type): metrics.duplicate(type)
            default: break
            }
            if settlements[index].acknowledges(copiesConfirmed: copiesSafe) { finished.append(batch[index]) } else { inHand.append(batch[index]) }
        }
        if mayAckMultiple, inHand.isEmpty, finished.count == batch.count, let last = batch.max(by: { $0.deliveryTag < $1.deliveryTag }) {
            try await consumer.ack(last, multiple: true)
        } else {
            for delivery in finished { try await consumer.ack(delivery) }
        }
        return inHand
    }

    /// Publishes committed outbox rows and deletes the confirmed ones; failures are left to the relay.
    private func publishCommitted(_ rows: [OutboxRow]) async {
        await outbox.publishCommittedOrLeaveToRelay(rows, logger: logger)
    }

    private func retryCopy(_ delivery: AMQPDelivery, attempt: Int, error: String) -> AMQPOutgoingMessage {
        var properties = PublisherIdentity.relaying(delivery.properties, relayers: relayers)
        properties.headers[MessageHeaders.attempt] = .int32(Int32(clamping: attempt + 1))
        properties.headers[MessageHeaders.lastError] = .string(String(error.prefix(1000)))
        if properties.headers[MessageHeaders.originalRoutingKey] == nil {
            properties.headers[MessageHeaders.originalRoutingKey] = .string(delivery.routingKey)
        }
        return AMQPOutgoingMessage(
            exchange: "", routingKey: topology.retryQueue(afterAttempt: attempt), body: delivery.body, properties: properties,
            mandatory: true)
    }

    private func parkedCopy(_ delivery: AMQPDelivery, reason: String, error: String, attempt: Int) -> AMQPOutgoingMessage {
        var properties = PublisherIdentity.relaying(delivery.properties, relayers: relayers)
        properties.headers[MessageHeaders.attempt] = .int32(Int32(clamping: attempt))
        properties.headers[MessageHeaders.parkedReason] = .string(reason)
        properties.headers[MessageHeaders.lastError] = .string(String(error.prefix(2000)))
        properties.headers[MessageHeaders.parkedAt] = .string(Date().formatted(.iso8601))
        properties.headers[MessageHeaders.originalQueue] = .string(topology.workQueue)
        if properties.headers[MessageHeaders.originalRoutingKey] == nil {
            properties.headers[MessageHeaders.originalRoutingKey] = .string(delivery.routingKey)
        }
        return AMQPOutgoingMessage(
            exchange: "", routingKey: topology.parkedQueue, body: delivery.body, properties: properties, mandatory: true)
    }
}

extension PostgresError {
    /// Whether the connection (not the statement) failed, so the work should wait and be redone.
    var isConnectionProblem: Bool { isConnectionError }
}


