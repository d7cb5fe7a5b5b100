import CRabbitMQ
import Foundation

/// The raw rabbitmq-c connection and its one channel, with every blocking C call the client makes.
///
/// Safety invariant (why `@unchecked Sendable` holds): a handle is created by, stored in and used
/// only from one `AMQPConnection` actor, whose executor is a `DedicatedThreadExecutor`. Every
/// method therefore runs on that one thread, one at a time; rabbitmq-c's connection state is
/// never touched by two threads, and never from Swift's cooperative pool.
final class AMQPConnectionHandle: @unchecked Sendable {
    let configuration: AMQPConfiguration
    private var state: amqp_connection_state_t?
    private var channel: amqp_channel_t = 0
    private var channelOpen = false
    /// Increases on every channel (re)open; deliveries carry it so stale tags are never acked.
    private(set) var channelGeneration: UInt64 = 0

    // Settings re-applied whenever a channel opens.
    private var confirmsEnabled = false
    private var prefetchCount: UInt16?
    private var consumers: [String: (queue: String, exclusive: Bool, arguments: AMQPTable)] = [:]
    /// Consumers the broker cancelled since the last `nextDeliveries` (their tag and queue).
    private var cancelledByBroker: [(tag: String, queue: String)] = []

    // Deliveries read while waiting for something else.
    private var pendingDeliveries: [AMQPDelivery] = []
    private var pendingDeliveriesHead = 0

    // Publisher-confirm ledger for the batch being published.
    private var nextPublishSequence: UInt64 = 1
    private var batch = ConfirmLedger()

    init(configuration: AMQPConfiguration) {
        self.configuration = configuration
    }

    deinit {
        if let state { amqp_destroy_connection(state) }
    }

    var isOpen: Bool { state != nil }

    // MARK: Connection

    /// Opens the TCP socket, logs in and opens the channel.
    func open() throws {
        precondition(state == nil, "open() on an open connection")
        guard let newState = amqp_new_connection() else {
            throw AMQPError(.connectionFailed, context: "allocating a connection")
        }
        guard let socket = amqp_tcp_socket_new(newState) else {
            amqp_destroy_connection(newState)
            throw AMQPError(.connectionFailed, context: "creating a TCP socket")
        }
        var connectTimeout = timeval(configuration.timeout)
        let status = amqp_socket_open_noblock(socket, configuration.host, Int32(configuration.port), &connectTimeout)
        guard status == AMQP_STATUS_OK.rawValue else {
            amqp_destroy_connection(newState)
            throw AMQPError(
                .connectionFailed, context: "connecting to \(configuration)",
                libraryStatus: status, libraryMessage: Self.statusText(status))
        }
        var rpcTimeout = timeval(configuration.timeout)
        _ = amqp_set_rpc_timeout(newState, &rpcTimeout)
        let arena = AMQPCArena()
        var clientProperties = arena.table([
            "connection_name": .string(configuration.connectionName ?? "fabrikam"),
            "product": .string("fabrikam-drone-delivery (rabbitmq-c)"),
            "capabilities": .table(["publisher_confirms": true, "consumer_cancel_notify": true]),
        ])
        let reply = crabbitmq_login_plain(
            newState, configuration.virtualHost, 0, 131_072, Int32(configuration.heartbeatSeconds),
            &clientProperties, configuration.user, configuration.password)
        if reply.reply_type != AMQP_RESPONSE_NORMAL {
            let error = Self.error(from: reply, context: "login to \(configuration)", fallback: .connectionFailed)
            amqp_destroy_connection(newState)
            throw AMQPError(
                .connectionFailed, context: error.context, replyCode: error.replyCode, replyText: error.replyText,
                libraryStatus: error.libraryStatus, libraryMessage: error.libraryMessage)
        }
        state = newState
        channel = 0
        channelOpen = false
        try ensureChannel()
    }

    /// Closes the channel and the connection politely, then frees everything. Never throws.
    func close() {
        guard let state else { return }
        if channelOpen { _ = amqp_channel_close(state, channel, AMQP_REPLY_SUCCESS) }
        _ = amqp_connection_close(state, AMQP_REPLY_SUCCESS)
        discardConnection()
    }

    /// Frees the connection without talking to the broker (it is gone or broken).
    private func discardConnection() {
        if let state { amqp_destroy_connection(state) }
        state = nil
        channelOpen = false
        pendingDeliveries.removeAll()
        pendingDeliveriesHead = 0
    }

    /// Closes whatever is left and opens again, re-applying prefetch, confirms and consumers.
    func reopen() throws {
        if state != nil { close() }
        try open()
    }

    /// Opens a fresh channel if the last one was closed, re-applying this connection's settings.
    func ensureChannel() throws {
        let state = try liveState("opening a channel")
        guard !channelOpen else { return }
        channel = channel >= 2047 ? 1 : channel + 1
        amqp_channel_open(state, channel)
        try check(amqp_get_rpc_reply(state), "channel.open")
        channelOpen = true
        channelGeneration += 1
        nextPublishSequence = 1
        pendingDeliveries.removeAll()
        pendingDeliveriesHead = 0
        if confirmsEnabled {
            amqp_confirm_select(state, channel)
            try check(amqp_get_rpc_reply(state), "confirm.select")
        }
        if let prefetchCount {
            amqp_basic_qos(state, channel, 0, prefetchCount, 0)
            try check(amqp_get_rpc_reply(state), "basic.qos")
        }
        let arena = AMQPCArena()
        for (tag, consumer) in consumers.sorted(by: { $0.key < $1.key }) {
            amqp_basic_consume(
                state, channel, arena.bytes(consumer.queue), arena.bytes(tag), 0, 0,
                consumer.exclusive ? 1 : 0, arena.table(consumer.arguments))
            do {
                try check(amqp_get_rpc_reply(state), "basic.consume '\(consumer.queue)'")
            } catch let error as AMQPError where error.code == .channelClosed {
                // Its queue is gone (404): forget the consumer, so the next channel opens without
                // it and its owner can declare the queue and consume again (`isConsuming`).
                consumers[tag] = nil
                throw error
            }
        }
    }

    // MARK: Topology

    func declareExchange(
        _ name: String, type: AMQPExchangeType, durable: Bool, autoDelete: Bool, isInternal: Bool, arguments: AMQPTable, passive: Bool = false
    ) throws {
        let state = try channelState()
        let arena = AMQPCArena()
        amqp_exchange_declare(
            state, channel, arena.bytes(name), arena.bytes(type.name), passive ? 1 : 0, durable ? 1 : 0,
            autoDelete ? 1 : 0, isInternal ? 1 : 0, arena.table(arguments))
        try check(amqp_get_rpc_reply(state), "exchange.declare '\(name)'")
    }

    func deleteExchange(_ name: String) throws {
        let state = try channelState()
        let arena = AMQPCArena()
        amqp_exchange_delete(state, channel, arena.bytes(name), 0)
        try check(amqp_get_rpc_reply(state), "exchange.delete '\(name)'")
    }

    func declareQueue(_ name: String, options: AMQPQueueOptions, passive: Bool) throws -> AMQPQueueState {
        let state = try channelState()
        let arena = AMQPCArena()
        let ok = amqp_queue_declare(
            state, channel, arena.bytes(name), passive ? 1 : 0, options.durable ? 1 : 0,
            options.exclusive ? 1 : 0, options.autoDelete ? 1 : 0, arena.table(passive ? [:] : options.arguments))
        try check(amqp_get_rpc_reply(state), "queue.declare '\(name)'")
        guard let ok else { throw AMQPError(.protocolError, context: "queue.declare '\(name)': no declare-ok") }
        return AMQPQueueState(
            name: AMQPCDecode.string(ok.pointee.queue),
            messageCount: ok.pointee.message_count,
            consumerCount: ok.pointee.consumer_count)
    }

    func bindQueue(_ queue: String, exchange: String, routingKey: String, arguments: AMQPTable) throws {
        let state = try channelState()
        let arena = AMQPCArena()
        amqp_queue_bind(state, channel, arena.bytes(queue), arena.bytes(exchange), arena.bytes(routingKey), arena.table(arguments))
        try check(amqp_get_rpc_reply(state), "queue.bind '\(queue)' to '\(exchange)' with '\(routingKey)'")
    }

    func unbindQueue(_ queue: String, exchange: String, routingKey: String, arguments: AMQPTable) throws {
        let state = try channelState()
        let arena = AMQPCArena()
        amqp_queue_unbind(state, channel, arena.bytes(queue), arena.bytes(exchange), arena.bytes(routingKey), arena.table(arguments))
        try check(amqp_get_rpc_reply(state), "queue.unbind '\(queue)' from '\(exchange)'")
    }

    func purgeQueue(_ name: String) throws -> UInt32 {
        let state = try channelState()
        let arena = AMQPCArena()
        let ok = amqp_queue_purge(state, channel, arena.bytes(name))
        try check(amqp_get_rpc_reply(state), "queue.purge '\(name)'")
        return ok?.pointee.message_count ?? 0
    }

    func deleteQueue(_ name: String) throws -> UInt32 {
        let state = try channelState()
        let arena = AMQPCArena()
        let ok = amqp_queue_delete(state, channel, arena.bytes(name), 0, 0)
        try check(amqp_get_rpc_reply(state), "queue.delete '\(name)'")
        return ok?.pointee.message_count ?? 0
    }

    // MARK: Publishing

    /// Puts the channel in confirm mode (kept across channel reopens).
    func enablePublisherConfirms() throws {
        let state = try channelState()
        guard !confirmsEnabled else { return }
        amqp_confirm_select(state, channel)
        try check(amqp_get_rpc_reply(state), "confirm.select")
        confirmsEnabled = true
        nextPublishSequence = 1
    }

    /// Publishes without waiting for anything (fire and forget unless confirms are read later).
    func publishUnconfirmed(_ message: AMQPOutgoingMessage) throws {
        let state = try channelState()
        try basicPublish(state, message)
    }

    /// Publishes every message with confirms, keeping at most `window` unconfirmed at a time, and
    /// returns each message's outcome in order.
    func publishConfirmed(_ messages: [AMQPOutgoingMessage], window: Int, timeout: Duration) throws -> [AMQPPublishOutcome] {
        guard !messages.isEmpty else { return [] }
        try enablePublisherConfirms()
        let state = try channelState()
        let deadline = ContinuousClock.now + timeout
        batch.start(firstSequence: nextPublishSequence, messages: messages)
        defer { batch.finish() }
        let window = max(1, window)
        for message in messages {
            while batch.published - batch.settled >= window {
                try waitForProgress(until: deadline, "waiting for publisher confirms")
            }
            try basicPublish(state, message)
            batch.published += 1
        }
        while batch.settled < batch.published {
            try waitForProgress(until: deadline, "waiting for publisher confirms")
        }
        return batch.outcomes.map { $0 ?? .nacked }
    }

    private func basicPublish(_ state: amqp_connection_state_t, _ message: AMQPOutgoingMessage) throws {
        let arena = AMQPCArena()
        // RabbitMQ refuses a user_id other than the connection's login user; stamping that user
        // on every message lets consumers know who published it (see the broker's validated user-id).
        var stamped = message.properties
        stamped.userId = configuration.user
        var properties = arena.properties(stamped)
        let status = message.body.withUnsafeBytes { body in
            amqp_basic_publish(
                state, channel, arena.bytes(message.exchange), arena.bytes(message.routingKey),
                message.mandatory ? 1 : 0, 0, &properties,
                amqp_bytes_t(len: body.count, bytes: UnsafeMutableRawPointer(mutating: body.baseAddress)))
        }
        if confirmsEnabled { nextPublishSequence += 1 }
        guard status == AMQP_STATUS_OK.rawValue else {
            throw libraryFailure(status, "basic.publish to '\(message.exchange)' with '\(message.routingKey)'")
        }
    }

    private func waitForProgress(until deadline: ContinuousClock.Instant, _ context: String) throws {
        let remaining = deadline - ContinuousClock.now
        guard remaining > .zero else {
            throw AMQPError(.timeout, context: context)
        }
        _ = try pump(timeout: remaining, context: context)
    }

    // MARK: Consuming

    func setPrefetch(_ count: UInt16) throws {
        let state = try channelState()
        amqp_basic_qos(state, channel, 0, count, 0)
        try check(amqp_get_rpc_reply(state), "basic.qos \(count)")
        prefetchCount = count
    }

    func startConsuming(queue: String, consumerTag: String, exclusive: Bool, arguments: AMQPTable) throws -> String {
        let state = try channelState()
        let arena = AMQPCArena()
        let ok = amqp_basic_consume(
            state, channel, arena.bytes(queue), arena.bytes(consumerTag), 0, 0, exclusive ? 1 : 0, arena.table(arguments))
        try check(amqp_get_rpc_reply(state), "basic.consume '\(queue)'")
        let tag = ok.map { AMQPCDecode.string($0.pointee.consumer_tag) } ?? consumerTag
        consumers[tag] = (queue, exclusive, arguments)
        return tag
    }

    /// Whether a consumer of `queue` is registered (re-registered on every new channel).
    func isConsuming(queue: String) -> Bool { consumers.values.contains { $0.queue == queue } }

    func cancelConsumer(_ consumerTag: String) throws {
        consumers[consumerTag] = nil
        let state = try channelState()
        let arena = AMQPCArena()
        amqp_basic_cancel(state, channel, arena.bytes(consumerTag))
        try check(amqp_get_rpc_reply(state), "basic.cancel '\(consumerTag)'")
    }

    /// Waits up to `timeout` for a first delivery, then takes whatever else is already readable,
    /// up to `maximum` deliveries in all.
    func nextDeliveries(maximum: Int, timeout: Duration) throws -> [AMQPDelivery] {
        _ = try channelState()
        let deadline = ContinuousClock.now + timeout
        // Read at least once, even with a zero timeout, so polling sees what has arrived.
        var firstRead = true
        while pendingCount == 0 {
            // Deliveries already read go out first; then a consumer the broker cancelled is reported.
            if let cancelled = cancelledByBroker.first {
                cancelledByBroker.removeAll()
                throw AMQPError(.consumerCancelled, context: "the broker cancelled consumer '\(cancelled.tag)' of queue '\(cancelled.queue)'")
            }
            let remaining = deadline - ContinuousClock.now
            guard remaining > .zero || firstRead else { return [] }
            firstRead = false
            _ = try pump(timeout: max(.zero, remaining), context: "waiting for deliveries")
        }
        while pendingCount < maximum, try pump(timeout: .zero, context: "reading deliveries") {}
        let count = min(maximum, pendingCount)
        let taken = Array(pendingDeliveries[pendingDeliveriesHead..<(pendingDeliveriesHead + count)])
        pendingDeliveriesHead += count
        if pendingDeliveriesHead == pendingDeliveries.count {
            pendingDeliveries.removeAll(keepingCapacity: true)
            pendingDeliveriesHead = 0
        }
        return taken
    }

    private var pendingCount: Int { pendingDeliveries.count - pendingDeliveriesHead }

    func ack(_ delivery: AMQPDelivery, multiple: Bool) throws {
        let state = try settlementState(delivery, "basic.ack")
        let status = amqp_basic_ack(state, channel, delivery.deliveryTag, multiple ? 1 : 0)
        guard status == AMQP_STATUS_OK.rawValue else { throw libraryFailure(status, "basic.ack") }
    }

    func nack(_ delivery: AMQPDelivery, multiple: Bool, requeue: Bool) throws {
        let state = try settlementState(delivery, "basic.nack")
        let status = amqp_basic_nack(state, channel, delivery.deliveryTag, multiple ? 1 : 0, requeue ? 1 : 0)
        guard status == AMQP_STATUS_OK.rawValue else { throw libraryFailure(status, "basic.nack") }
    }

    func reject(_ delivery: AMQPDelivery, requeue: Bool) throws {
        let state = try settlementState(delivery, "basic.reject")
        let status = amqp_basic_reject(state, channel, delivery.deliveryTag, requeue ? 1 : 0)
        guard status == AMQP_STATUS_OK.rawValue else { throw libraryFailure(status, "basic.reject") }
    }

    private func settlementState(_ delivery: AMQPDelivery, _ context: String) throws -> amqp_connection_state_t {
        let state = try channelState()
        guard delivery.channelGeneration == channelGeneration else {
            throw AMQPError(
                .channelClosed,
                context: "\(context) of delivery \(delivery.deliveryTag) from a channel that has since closed "
                    + "(the broker requeues it for redelivery)")
        }
        return state
    }

    /// Services heartbeats and reads any frames waiting, without blocking.
    func poll() throws {
        _ = try channelState()
        while try pump(timeout: .zero, context: "polling") {}
    }

    // MARK: Frames

    /// Reads one frame (waiting up to `timeout`) and acts on it. Returns false on timeout.
    private func pump(timeout: Duration, context: String) throws -> Bool {
        let state = try channelState()
        if amqp_frames_enqueued(state) == 0 && amqp_data_in_buffer(state) == 0 {
            amqp_maybe_release_buffers(state)
        }
        var frame = amqp_frame_t()
        var wait = timeval(timeout)
        let status = amqp_simple_wait_frame_noblock(state, &frame, &wait)
        if status == AMQP_STATUS_TIMEOUT.rawValue { return false }
        guard status == AMQP_STATUS_OK.rawValue else { throw libraryFailure(status, context) }
        guard frame.frame_type == UInt8(AMQP_FRAME_METHOD) else { return true }
        let method = frame.payload.method
        switch method.id {
        case AMQP_BASIC_DELIVER_METHOD:
            let deliver = method.decoded.assumingMemoryBound(to: amqp_basic_deliver_t.self).pointee
            let consumerTag = AMQPCDecode.string(deliver.consumer_tag)
            let exchange = AMQPCDecode.string(deliver.exchange)
            let routingKey = AMQPCDecode.string(deliver.routing_key)
            let (body, properties) = try readContent(state, "reading a delivered message")
            pendingDeliveries.append(AMQPDelivery(
                deliveryTag: deliver.delivery_tag, redelivered: deliver.redelivered != 0, exchange: exchange,
                routingKey: routingKey, consumerTag: consumerTag, body: body, properties: properties,
                channelGeneration: channelGeneration))
        case AMQP_BASIC_ACK_METHOD:
            let ack = method.decoded.assumingMemoryBound(to: amqp_basic_ack_t.self).pointee
            batch.settle(upTo: ack.delivery_tag, multiple: ack.multiple != 0, as: .confirmed)
        case AMQP_BASIC_NACK_METHOD:
            let nack = method.decoded.assumingMemoryBound(to: amqp_basic_nack_t.self).pointee
            batch.settle(upTo: nack.delivery_tag, multiple: nack.multiple != 0, as: .nacked)
        case AMQP_BASIC_RETURN_METHOD:
            let returned = method.decoded.assumingMemoryBound(to: amqp_basic_return_t.self).pointee
            let replyText = AMQPCDecode.string(returned.reply_text)
            let (_, properties) = try readContent(state, "reading a returned message")
            batch.markReturned(messageId: properties.messageId, replyCode: returned.reply_code, replyText: replyText)
        case AMQP_BASIC_CANCEL_METHOD:
            // The broker cancelled a consumer (its queue was deleted): stop re-registering it.
            let cancel = method.decoded.assumingMemoryBound(to: amqp_basic_cancel_t.self).pointee
            let tag = AMQPCDecode.string(cancel.consumer_tag)
            if let consumer = consumers.removeValue(forKey: tag) { cancelledByBroker.append((tag, consumer.queue)) }
        case AMQP_CHANNEL_CLOSE_METHOD:
            let close = method.decoded.assumingMemoryBound(to: amqp_channel_close_t.self).pointee
            let replyText = AMQPCDecode.string(close.reply_text)
            var closeOk = amqp_channel_close_ok_t()
            _ = amqp_send_method(state, channel, AMQP_CHANNEL_CLOSE_OK_METHOD, &closeOk)
            channelOpen = false
            throw AMQPError(.channelClosed, context: context, replyCode: close.reply_code, replyText: replyText)
        case AMQP_CONNECTION_CLOSE_METHOD:
            let close = method.decoded.assumingMemoryBound(to: amqp_connection_close_t.self).pointee
            let replyText = AMQPCDecode.string(close.reply_text)
            var closeOk = amqp_connection_close_ok_t()
            _ = amqp_send_method(state, 0, AMQP_CONNECTION_CLOSE_OK_METHOD, &closeOk)
            discardConnection()
            throw AMQPError(.connectionClosed, context: context, replyCode: close.reply_code, replyText: replyText)
        default:
            break
        }
        return true
    }

    /// Reads the header and body frames that follow a deliver or return method.
    private func readContent(_ state: amqp_connection_state_t, _ context: String) throws -> ([UInt8], AMQPProperties) {
        var message = amqp_message_t()
        let reply = amqp_read_message(state, channel, &message, 0)
        try check(reply, context)
        defer { amqp_destroy_message(&message) }
        return (AMQPCDecode.bytes(message.body), AMQPCDecode.properties(message.properties))
    }

    // MARK: Errors

    private func liveState(_ context: String) throws -> amqp_connection_state_t {
        guard let state else { throw AMQPError(.notConnected, context: context) }
        return state
    }

    private func channelState() throws -> amqp_connection_state_t {
        try ensureChannel()
        return try liveState("using the channel")
    }

    /// Turns a non-normal RPC reply into an error, closing what the failure closed.
    private func check(_ reply: amqp_rpc_reply_t, _ context: String) throws {
        guard reply.reply_type != AMQP_RESPONSE_NORMAL else { return }
        let error = Self.error(from: reply, context: context, fallback: .protocolError)
        if let state, reply.reply_type == AMQP_RESPONSE_SERVER_EXCEPTION {
            if error.code == .channelClosed {
                var closeOk = amqp_channel_close_ok_t()
                _ = amqp_send_method(state, channel, AMQP_CHANNEL_CLOSE_OK_METHOD, &closeOk)
                channelOpen = false
            } else {
                var closeOk = amqp_connection_close_ok_t()
                _ = amqp_send_method(state, 0, AMQP_CONNECTION_CLOSE_OK_METHOD, &closeOk)
            }
        }
        // A library failure or timeout in a synchronous method leaves the connection in an
        // unknown state (rabbitmq-c's documented rule): drop it.
        if error.code.closesConnection || error.code == .timeout { discardConnection() }
        throw error
    }

    private func libraryFailure(_ status: Int32, _ context: String) -> AMQPError {
        let code: AMQPError.Code = switch status {
        case AMQP_STATUS_TIMEOUT.rawValue: .timeout
        case AMQP_STATUS_CONNECTION_CLOSED.rawValue, AMQP_STATUS_SOCKET_ERROR.rawValue,
             AMQP_STATUS_SOCKET_CLOSED.rawValue, AMQP_STATUS_HEARTBEAT_TIMEOUT.rawValue,
             AMQP_STATUS_TCP_ERROR.rawValue:
            .connectionLost
        default: .protocolError
        }
        if code.closesConnection { discardConnection() }
        return AMQPError(code, context: context, libraryStatus: status, libraryMessage: Self.statusText(status))
    }

    private static func error(from reply: amqp_rpc_reply_t, context: String, fallback: AMQPError.Code) -> AMQPError {
        switch reply.reply_type {
        case AMQP_RESPONSE_SERVER_EXCEPTION:
            switch reply.reply.id {
            case AMQP_CHANNEL_CLOSE_METHOD:
                let close = reply.reply.decoded.assumingMemoryBound(to: amqp_channel_close_t.self).pointee
                return AMQPError(.channelClosed, context: context, replyCode: close.reply_code, replyText: AMQPCDecode.string(close.reply_text))
            case AMQP_CONNECTION_CLOSE_METHOD:
                let close = reply.reply.decoded.assumingMemoryBound(to: amqp_connection_close_t.self).pointee
                return AMQPError(.connectionClosed, context: context, replyCode: close.reply_code, replyText: AMQPCDecode.string(close.reply_text))
            default:
                return AMQPError(fallback, context: context, libraryMessage: "unexpected server method \(reply.reply.id)")
            }
        case AMQP_RESPONSE_LIBRARY_EXCEPTION:
            let status = reply.library_error
            let code: AMQPError.Code = switch status {
            case AMQP_STATUS_TIMEOUT.rawValue: .timeout
            case AMQP_STATUS_CONNECTION_CLOSED.rawValue, AMQP_STATUS_SOCKET_ERROR.rawValue,
                 AMQP_STATUS_SOCKET_CLOSED.rawValue, AMQP_STATUS_HEARTBEAT_TIMEOUT.rawValue:
                .connectionLost
            default: fallback
            }
            return AMQPError(code, context: context, libraryStatus: status, libraryMessage: statusText(status))
        default:
            return AMQPError(fallback, context: context, libraryMessage: "no reply")
        }
    }

    static func statusText(_ status: Int32) -> String {
        String(cString: amqp_error_string2(status))
    }
}

/// Which messages of the batch being published are settled, and how.
private struct ConfirmLedger {
    var firstSequence: UInt64 = 0
    var outcomes: [AMQPPublishOutcome?] = []
    var messageIndex: [String: Int] = [:]
    var published = 0
    var settled = 0
    /// Every index below this is settled.
    var lowestUnsettled = 0

    mutating func start(firstSequence: UInt64, messages: [AMQPOutgoingMessage]) {
        self.firstSequence = firstSequence
        outcomes = Array(repeating: nil, count: messages.count)
        messageIndex = [:]
        for (index, message) in messages.enumerated() where message.mandatory {
            if let id = message.properties.messageId { messageIndex[id] = index }
        }
        published = 0
        settled = 0
        lowestUnsettled = 0
    }

    mutating func finish() {
        outcomes = []
        messageIndex = [:]
        published = 0
        settled = 0
        lowestUnsettled = 0
    }

    /// Applies a basic.ack / basic.nack for `tag` (and every earlier tag when `multiple`).
    mutating func settle(upTo tag: UInt64, multiple: Bool, as outcome: AMQPPublishOutcome) {
        guard tag >= firstSequence, !outcomes.isEmpty else { return }
        let last = min(Int(tag - firstSequence), published - 1)
        guard last >= 0 else { return }
        let range = multiple ? lowestUnsettled...last : last...last
        for index in range where outcomes[index] == nil {
            outcomes[index] = outcome
            settled += 1
        }
        while lowestUnsettled < published, outcomes[lowestUnsettled] != nil { lowestUnsettled += 1 }
    }

    /// Records a basic.return; the ack that follows it then settles nothing new for it.
    mutating func markReturned(messageId: String?, replyCode: UInt16, replyText: String) {
        guard let messageId, let index = messageIndex[messageId], outcomes[index] == nil else { return }
        outcomes[index] = .returned(replyCode: replyCode, replyText: replyText)
        settled += 1
        while lowestUnsettled < published, outcomes[lowestUnsettled] != nil { lowestUnsettled += 1 }
    }
}

extension timeval {
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self.init(tv_sec: Int(max(0, seconds)), tv_usec: Int(max(0, attoseconds) / 1_000_000_000_000))
    }
}
