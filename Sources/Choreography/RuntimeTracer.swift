import AMQP
import Postgres
package import Tracing

/// The runtime's spans: a consumer span per delivery, a child span per database transaction and
/// a producer span per published event, linked through the trace context stored with outbox rows
/// and deadlines and carried in message headers. With no tracer (tracing off) every method
/// returns at once: no span, no attribute, no string built.
package struct RuntimeTracer: Sendable {
    /// The tracer; nil when tracing is off.
    let tracer: (any Tracer)?
    /// The service's name (`fabrikam.service`).
    let service: String
    /// The service's schema (`db.namespace`).
    let schema: String

    /// Tracing off.
    package static let off = RuntimeTracer(tracer: nil, service: "", schema: "")

    /// The tracer configured for the process (``TracingBootstrap``), nil when none is.
    package static var bootstrapped: (any Tracer)? {
        let tracer = InstrumentationSystem.tracer
        return tracer is NoOpTracer ? nil : tracer
    }

    /// Starts the consumer span for a delivery (`process <event type>`), continuing the trace in
    /// its headers (a new trace when they carry none).
    func startProcessing(_ delivery: AMQPDelivery, queue: String) -> (any Span)? {
        guard let tracer else { return nil }
        var parent = ServiceContext.topLevel
        tracer.extract(delivery.properties.headers, into: &parent, using: AMQPHeadersExtractor())
        let type = delivery.properties.type ?? delivery.routingKey
        let span = tracer.startSpan("process \(type)", context: parent, ofKind: .consumer)
        span.updateAttributes { attributes in
            attributes[TraceAttributes.messagingSystem] = TraceAttributes.rabbitMQ
            attributes[TraceAttributes.messagingOperationType] = "process"
            attributes[TraceAttributes.messagingOperationName] = "process"
            attributes[TraceAttributes.messagingDestinationName] = queue
            attributes[TraceAttributes.messagingRoutingKey] = delivery.routingKey
            attributes[TraceAttributes.messagingMessageId] = delivery.properties.messageId
            attributes[TraceAttributes.messagingConversationId] = delivery.properties.correlationId
            attributes[TraceAttributes.eventId] = delivery.properties.messageId
            attributes[TraceAttributes.deliveryId] = delivery.properties.correlationId
            attributes[TraceAttributes.eventType] = type
            attributes[TraceAttributes.service] = service
        }
        return span
    }

    /// Starts a span for a fired deadline (`deadline <name>`), continuing the trace of the event
    /// whose handler scheduled it.
    func startDeadline(_ name: String, deliveryId: String, scheduledFrom carrier: TraceCarrier?) -> (any Span)? {
        guard let tracer else { return nil }
        let span = tracer.startSpan("deadline \(name)", context: context(from: carrier), ofKind: .internal)
        span.updateAttributes { attributes in
            attributes[TraceAttributes.deadlineName] = name
            attributes[TraceAttributes.deliveryId] = deliveryId
            attributes[TraceAttributes.service] = service
        }
        return span
    }

    /// Starts the span of a database transaction, a child of `parent` (or of the task's current context).
    package func startTransaction(under parent: (any Span)?, events: Int = 1) -> (any Span)? {
        guard let tracer else { return nil }
        let context = parent?.context ?? ServiceContext.current ?? .topLevel
        let span = tracer.startSpan("transaction \(schema)", context: context, ofKind: .client)
        span.updateAttributes { attributes in
            attributes[TraceAttributes.databaseSystemName] = TraceAttributes.postgreSQL
            attributes[TraceAttributes.databaseNamespace] = schema
            if events > 1 { attributes[TraceAttributes.transactionEvents] = events }
        }
        return span
    }

    /// Ends a transaction or deadline span, recording the failure (its SQLSTATE for a database error) if it failed.
    package func end(_ span: (any Span)?, error: (any Error)? = nil) {
        guard let span else { return }
        if let error {
            let sqlState = (error as? PostgresError)?.sqlState
            span.attributes[TraceAttributes.databaseResponseStatusCode] = sqlState
            span.attributes[TraceAttributes.errorType] = sqlState ?? String(describing: type(of: error))
            span.setStatus(SpanStatus(code: .error))
        }
        span.end()
    }

    /// The propagated form of a span's context (stored with what its work emits), or of the
    /// task's current context when there is no span; nil with tracing off.
    package func carrier(of span: (any Span)?) -> TraceCarrier? {
        guard let tracer, let context = span?.context ?? ServiceContext.current else { return nil }
        var carrier = TraceCarrier()
        tracer.inject(context, into: &carrier, using: TraceCarrierInjector())
        return carrier.fields.isEmpty ? nil : carrier
    }

    /// Starts the producer span of one outbox event (`publish <event type>`), a child of the span
    /// that emitted it, and puts the new span's context in the message's headers.
    func startPublishing(_ event: OutboxEvent, _ message: inout AMQPOutgoingMessage) -> (any Span)? {
        guard let tracer else { return nil }
        let span = tracer.startSpan("publish \(event.type)", context: context(from: event.trace), ofKind: .producer)
        span.updateAttributes { attributes in
            attributes[TraceAttributes.messagingSystem] = TraceAttributes.rabbitMQ
            attributes[TraceAttributes.messagingOperationType] = "send"
            attributes[TraceAttributes.messagingOperationName] = "publish"
            attributes[TraceAttributes.messagingDestinationName] = message.exchange
            attributes[TraceAttributes.messagingRoutingKey] = message.routingKey
            attributes[TraceAttributes.messagingMessageId] = message.properties.messageId
            attributes[TraceAttributes.messagingConversationId] = message.properties.correlationId
            attributes[TraceAttributes.eventId] = message.properties.messageId
            attributes[TraceAttributes.deliveryId] = message.properties.correlationId
            attributes[TraceAttributes.eventType] = event.type
            attributes[TraceAttributes.service] = service
        }
        tracer.inject(span.context, into: &message.properties.headers, using: AMQPHeadersInjector())
        return span
    }

    /// Ends a producer span with the broker's answer (an error for anything but a confirm), or
    /// with the error that stopped the publish.
    func endPublishing(_ span: (any Span)?, outcome: AMQPPublishOutcome?, error: (any Error)? = nil) {
        guard let span else { return }
        switch outcome {
        case .confirmed: break
        case .returned(let replyCode, _):
            span.attributes[TraceAttributes.amqpReplyCode] = Int(replyCode)
            span.attributes[TraceAttributes.errorType] = "\(replyCode)"
            span.setStatus(SpanStatus(code: .error))
        case .nacked:
            span.attributes[TraceAttributes.errorType] = "nacked"
            span.setStatus(SpanStatus(code: .error))
        case nil:
            let replyCode = (error as? AMQPError)?.replyCode
            span.attributes[TraceAttributes.amqpReplyCode] = replyCode.map(Int.init)
            span.attributes[TraceAttributes.errorType] = replyCode.map { "\($0)" } ?? error.map { String(describing: type(of: $0)) } ?? "not-published"
            span.setStatus(SpanStatus(code: .error))
        }
        span.end()
    }

    /// Ends a consumer span with what became of the delivery.
    func endProcessing(_ span: (any Span)?, outcome: HandlingOutcome, settlement: Settlement) {
        guard let span else { return }
        span.attributes[TraceAttributes.outcome] = TraceOutcome.of(outcome, settlement)
        switch outcome {
        case .failed, .poison:
            span.attributes[TraceAttributes.errorType] = TraceOutcome.errorType(outcome)
            span.setStatus(SpanStatus(code: .error))
        case .handled, .duplicate, .databaseUnavailable:
            break
        }
        span.end()
    }

    private func context(from carrier: TraceCarrier?) -> ServiceContext {
        var context = ServiceContext.topLevel
        if let carrier, let tracer { tracer.extract(carrier, into: &context, using: TraceCarrierExtractor()) }
        return context
    }
}

/// The `fabrikam.outcome` and `error.type` of a consumer span, as pure functions.
enum TraceOutcome {
    /// `handled` or `duplicate` (acknowledged), `retried`, `parked`, or `kept` (the database was unavailable).
    static func of(_ settlement: Settlement) -> String {
        switch settlement {
        case .acknowledge: "handled"
        case .retry: "retried"
        case .park: "parked"
        case .keep: "kept"
        }
    }

    /// The outcome attribute, telling a duplicate from a handled event.
    static func of(_ outcome: HandlingOutcome, _ settlement: Settlement) -> String {
        if case .duplicate = outcome { return "duplicate" }
        return of(settlement)
    }

    /// `error.type` of a failed outcome: the parking reason of poison input, `handler-failed` otherwise; nil on success.
    static func errorType(_ outcome: HandlingOutcome) -> String? {
        switch outcome {
        case .failed: "handler-failed"
        case .poison(let reason, _): reason
        case .handled, .duplicate, .databaseUnavailable: nil
        }
    }
}
