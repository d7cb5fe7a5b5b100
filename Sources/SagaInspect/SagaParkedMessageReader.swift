import AMQP
package import Choreography
import Foundation

/// Reads every service's parking queue (`<prefix><service>.parked`) without removing anything
/// (``ParkedMessages/list(limit:)`` takes the messages unacknowledged and returns them).
package struct SagaParkedMessageReader: Sendable {
    /// The broker URL.
    package var amqpURL: String
    /// Put before each service's queue names (`QUEUE_PREFIX`; empty by default).
    package var queuePrefix: String
    /// The services whose parking queues are read.
    package var services: [String]

    /// A reader for the six services' parking queues.
    package init(amqpURL: String, queuePrefix: String = "", services: [String] = SagaContract.services) {
        self.amqpURL = amqpURL
        self.queuePrefix = queuePrefix
        self.services = services
    }

    /// What a read found: the parked messages, and why some queues could not be read.
    package struct Reading: Sendable {
        /// Every parked message of every readable queue.
        package var messages: [SagaParkedMessage]
        /// Queues that could not be read, in plain words (the broker unreachable, a queue missing).
        package var warnings: [String]

        /// A reading from its parts.
        package init(messages: [SagaParkedMessage] = [], warnings: [String] = []) {
            self.messages = messages
            self.warnings = warnings
        }
    }

    /// Reads all parking queues; failures become warnings (a trace still works without the broker).
    package func read(limitPerQueue: Int = 10_000) async -> Reading {
        var reading = Reading(messages: [], warnings: [])
        for service in services {
            let queue = ParkedMessages(amqpURL: amqpURL, service: queuePrefix + service)
            do {
                let parked = try await queue.list(limit: limitPerQueue)
                reading.messages += parked.map { SagaParkedMessage($0, service: service, queue: queue.parkedQueue) }
            } catch let error as AMQPError where error.replyCode == 404 {
                reading.warnings.append("queue \(queue.parkedQueue) does not exist (has the \(service) service ever started with this prefix?)")
            } catch let error as AMQPError where error.code == .connectionFailed || error.code == .invalidURL || error.code == .timeout {
                reading.warnings.append("parked messages not checked: cannot reach the broker at \(Self.hostAndPort(amqpURL)) (\(error.code)); use --no-parked to skip")
                return reading
            } catch {
                reading.warnings.append("could not read \(queue.parkedQueue): \(error)")
            }
        }
        return reading
    }

    /// `host:port` of a broker URL, without credentials.
    static func hostAndPort(_ url: String) -> String {
        guard let components = URLComponents(string: url), let host = components.host else { return "(unparsable URL)" }
        return "\(host):\(components.port ?? 5672)"
    }
}

extension SagaParkedMessage {
    /// The saga view of a message listed by ``ParkedMessages``.
    package init(_ message: ParkedMessage, service: String, queue: String) {
        self.init(
            service: service, queue: queue, messageId: message.messageId, eventType: message.type, deliveryId: message.deliveryId,
            reason: message.reason, lastError: message.lastError, attempts: message.attempts, parkedAt: message.parkedAt)
    }

    /// The saga view of a message listed by ``ParkedMessages``, its service told by the queue it
    /// came from (`<prefix><service>.events`).
    package init(_ message: ParkedMessage) {
        let origin = message.originalQueue ?? ""
        let queue = origin.hasSuffix(".events") ? String(origin.dropLast(".events".count)) + ".parked" : "(unknown).parked"
        let service = SagaContract.services.first { origin.hasSuffix("\($0).events") } ?? "unknown"
        self.init(message, service: service, queue: queue)
    }
}
