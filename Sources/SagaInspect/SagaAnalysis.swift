import Contracts
package import Foundation

/// Judges a ``SagaSnapshot``: rebuilds the causation tree and decides the ``SagaVerdict``.
/// Pure: no I/O, and `now` is a parameter, so every verdict can be unit tested.
///
/// The rules (docs/saga-inspect.md has them for operators):
/// - The outcome comes from the published events (logged by history, or handled by any
///   service): `delivery.completed` → completed; otherwise the earliest failure decides —
///   `account.rejected`/`package.rejected` → rejected, `delivery.cancelled` → cancelled,
///   `drone.allocation-failed`/`delivery.scheduling-failed` → compensated.
/// - A failure requires `package.cancelled` if a package was created and `drone.released` if a
///   drone was allocated (from the log or the services' own rows); completion requires the drone's
///   release and the package marked delivered. Each requirement is checked against the log and
///   against the owning service's state.
/// - Service state that contradicts the log (a drone still allocated after `drone.released` was
///   logged, a package still active after it was cancelled) is `inconsistent` at once; a
///   compensation still missing `stuckAfter` after the failure is `inconsistent`.
/// - A parked message of the delivery, an unpublished outbox row older than `stuckAfter`, an
///   overdue timer, or no progress for longer than `stuckAfter` while in flight is `stuck`.
package enum SagaAnalysis {
    /// Five minutes: how long a saga may make no progress before it counts as stuck.
    package static let defaultStuckAfter: TimeInterval = 300

    /// The report for a snapshot as of `now`.
    package static func analyse(_ snapshot: SagaSnapshot, now: Date = Date(), stuckAfter: TimeInterval = defaultStuckAfter) -> SagaReport {
        var judge = VerdictRules(snapshot: snapshot, now: now, stuckAfter: stuckAfter)
        return judge.report()
    }
}

/// A published event as the verdict rules see it: logged, or at least handled by some service.
struct PublishedFact {
    var eventId: UUID
    var type: String
    var occurredAt: Date
    var data: JSONValue

    var reasonCode: String? { data["reason"]?["code"]?.stringValue }
    var reasonMessage: String? { data["reason"]?["message"]?.stringValue }
}

/// The working state of one analysis.
struct VerdictRules {
    let snapshot: SagaSnapshot
    let now: Date
    let stuckAfter: TimeInterval

    private(set) var traced: [TracedEvent] = []
    private var facts: [PublishedFact] = []
    /// Outbox rows no service handled and history did not log: committed, not yet published.
    private var unpublished: [PendingOutboxEvent] = []
    private var start: Date?

    private var contradictions: [String] = []
    private var missing: [String] = []
    private var stuckReasons: [String] = []
    private var waits: [SagaWait] = []
    private var warnings: [String] = []
    private var parkedNow: [SagaParkedMessage] = []

    init(snapshot: SagaSnapshot, now: Date, stuckAfter: TimeInterval) {
        self.snapshot = snapshot
        self.now = now
        self.stuckAfter = stuckAfter
    }

    // MARK: Report

    mutating func report() -> SagaReport {
        warnings = snapshot.warnings
        buildTree()
        checkParked()
        checkOutbox()
        checkDeadlines()
        checkServiceStates()
        let (verdict, detail) = decide()
        return SagaReport(
            deliveryId: snapshot.deliveryId, verdict: verdict, detail: detail, events: traced,
            pendingOutbox: snapshot.pendingOutbox.sorted { $0.committedAt < $1.committedAt }, parked: snapshot.parked,
            pendingDeadlines: snapshot.deadlines.filter(\.isPending).sorted { $0.fireAt < $1.fireAt }, waits: waits,
            warnings: warnings, startedAt: start, lastActivityAt: lastActivity, inspectedAt: now)
    }

    // MARK: The causation tree

    private mutating func buildTree() {
        var byId: [UUID: TracedEvent] = [:]
        let handlings = Dictionary(grouping: snapshot.handled, by: \.eventId)
        func handledBy(_ id: UUID) -> [TracedEvent.Handling] {
            (handlings[id] ?? []).sorted { ($0.handledAt, $0.service) < ($1.handledAt, $1.service) }
                .map { TracedEvent.Handling(service: $0.service, at: $0.handledAt) }
        }
        for event in snapshot.events where byId[event.eventId] == nil {
            byId[event.eventId] = TracedEvent(
                eventId: event.eventId, type: event.type, producer: event.producer, occurredAt: event.occurredAt,
                causationId: event.causationId, causeKnown: false, depth: 0, children: [],
                isCompensation: SagaContract.isCompensation(type: event.type, reasonCode: event.reasonCode), logged: true,
                handledBy: handledBy(event.eventId), reasonCode: event.reasonCode, reasonMessage: event.reasonMessage,
                note: Self.note(event.data))
            facts.append(PublishedFact(eventId: event.eventId, type: event.type, occurredAt: event.occurredAt, data: event.data))
        }
        // Events some service handled that history has not logged (yet): details from the
        // outbox row if it is still there, otherwise only what the inboxes say.
        let outboxById = Dictionary(snapshot.pendingOutbox.map { ($0.eventId, $0) }, uniquingKeysWith: { first, _ in first })
        for (id, rows) in handlings where byId[id] == nil {
            let firstHandled = rows.map(\.handledAt).min() ?? now
            let row = outboxById[id]
            let type = row?.eventType ?? rows[0].eventType
            let data = row?.data ?? .object([:])
            let reason = data["reason"]?["code"]?.stringValue
            byId[id] = TracedEvent(
                eventId: id, type: type, producer: row?.producer ?? SagaContract.producer(of: type),
                occurredAt: row?.occurredAt ?? firstHandled, causationId: row?.causationId, causeKnown: false, depth: 0,
                children: [], isCompensation: SagaContract.isCompensation(type: type, reasonCode: reason), logged: false,
                handledBy: handledBy(id), reasonCode: reason, reasonMessage: data["reason"]?["message"]?.stringValue,
                note: Self.note(data))
            facts.append(PublishedFact(eventId: id, type: type, occurredAt: row?.occurredAt ?? firstHandled, data: data))
            if snapshot.state.status != nil || !snapshot.events.isEmpty {
                warnings.append("event \(Self.short(id)) (\(type)) was handled by \(rows.map(\.service).sorted().joined(separator: ", ")) but is not in the history log")
            }
        }
        unpublished = snapshot.pendingOutbox.filter { byId[$0.eventId] == nil }
        facts.sort { Self.before(($0.occurredAt, $0.eventId), ($1.occurredAt, $1.eventId)) }

        // Link children to parents; an event whose cause is not in the saga is a root.
        var children: [UUID: [UUID]] = [:]
        for (id, event) in byId {
            if let cause = event.causationId, cause != id, byId[cause] != nil {
                byId[id]?.causeKnown = true
                children[cause, default: []].append(id)
            }
        }
        func ordered(_ ids: [UUID]) -> [UUID] {
            ids.sorted { Self.before((byId[$0]!.occurredAt, $0), (byId[$1]!.occurredAt, $1)) }
        }
        for (parent, kids) in children {
            let sorted = ordered(kids)  // read byId before the optional-chained write to it begins
            byId[parent]?.children = sorted
        }
        var visited: Set<UUID> = []
        func visit(_ id: UUID, depth: Int) {
            guard visited.insert(id).inserted, var event = byId[id] else { return }
            event.depth = depth
            traced.append(event)
            for child in event.children { visit(child, depth: depth + 1) }
        }
        for root in ordered(byId.values.filter { !$0.causeKnown }.map(\.eventId)) { visit(root, depth: 0) }
        // A causation cycle (never written by the runtime) still shows every event.
        for id in ordered(Array(byId.keys)) where !visited.contains(id) {
            byId[id]?.causeKnown = false
            visit(id, depth: 0)
        }
        start = traced.map(\.occurredAt).min()
            ?? ([snapshot.state.request?.acceptedAt] + snapshot.handled.map(\.handledAt) + snapshot.pendingOutbox.map(\.committedAt))
                .compactMap { $0 }.min()
    }

    private static func note(_ data: JSONValue) -> String? {
        var parts: [String] = []
        if let drone = data["droneId"]?.stringValue { parts.append(drone) }
        if let package = data["packageId"]?.stringValue { parts.append("package \(package.lowercased())") }
        return parts.isEmpty ? nil : parts.joined(separator: ", ")
    }

    // MARK: Facts

    private func first(_ type: EventType) -> PublishedFact? { facts.first { $0.type == type.rawValue } }
    private func has(_ type: EventType) -> Bool { first(type) != nil }
    private func pendingRow(_ type: EventType) -> PendingOutboxEvent? { unpublished.first { $0.eventType == type.rawValue } }

    /// When `service` first handled an event of `type` for this delivery.
    private func handled(by service: String, _ type: String) -> Date? {
        snapshot.handled.filter { $0.service == service && $0.eventType == type }.map(\.handledAt).min()
    }

    /// Whether a message of `type` waits in `service`'s parking queue.
    private func isParked(at service: String, _ type: String) -> Bool {
        parkedNow.contains { $0.service == service && $0.eventType == type }
    }

    private var lastActivity: Date? {
        (facts.map(\.occurredAt) + snapshot.handled.map(\.handledAt) + snapshot.pendingOutbox.map(\.committedAt)
            + [snapshot.state.request?.acceptedAt].compactMap { $0 }).max()
    }

    // MARK: Checks that hold whatever the outcome

    private mutating func checkParked() {
        for message in snapshot.parked {
            if let id = message.eventId, snapshot.handled.contains(where: { $0.service == message.service && $0.eventId == id }) {
                warnings.append("\(message.queue) holds \(message.eventType ?? "a message") \(Self.short(id)), which \(message.service) has handled since (a parked duplicate)")
            } else {
                parkedNow.append(message)
            }
        }
    }

    private mutating func checkOutbox() {
        for row in unpublished {
            let age = now.timeIntervalSince(row.committedAt)
            if age > stuckAfter {
                stuckReasons.append("\(row.service) committed \(row.eventType) \(Self.duration(age)) ago but has not published it (is its outbox relay running?)")
            } else {
                waits.append(SagaWait(
                    service: row.service, event: row.eventType, since: row.committedAt, dueAt: nil,
                    description: "\(row.service) to publish \(row.eventType) (committed \(relative(row.committedAt)), still in its outbox)"))
            }
        }
    }

    private mutating func checkDeadlines() {
        for deadline in snapshot.deadlines where deadline.isPending && now.timeIntervalSince(deadline.fireAt) > stuckAfter {
            stuckReasons.append("\(deadline.service)'s timer \(deadline.name) was due \(Self.duration(now.timeIntervalSince(deadline.fireAt))) ago and has not fired (is \(deadline.service) running?)")
        }
        for deadline in snapshot.deadlines where deadline.parkedAt != nil {
            stuckReasons.append("\(deadline.service)'s timer \(deadline.name) failed every attempt and was parked: \(deadline.lastError ?? "no error recorded")")
        }
    }

    /// Contradictions inside one service or between a service and its own events.
    private mutating func checkServiceStates() {
        let state = snapshot.state
        if state.heldDrones.count > 1 {
            contradictions.append("drones \(state.heldDrones.map(\.droneId).sorted().joined(separator: ", ")) are all held for this one delivery")
        }
        if let allocation = state.allocation, !allocation.holdsDrone, let drone = state.heldDrones.first {
            contradictions.append("drone \(drone.droneId) is still \(drone.state) for this delivery although its allocation is \(allocation.state)")
        }
        if let decision = state.accountDecision {
            if decision.outcome == "rejected", has(.accountValidated) {
                contradictions.append("the account service recorded a rejection but account.validated was logged")
            }
            if decision.outcome == "validated", has(.accountRejected) {
                contradictions.append("the account service recorded a validation but account.rejected was logged")
            }
        }
        if let delivery = state.delivery {
            let expected: [(EventType, String)] = [(.deliveryCompleted, "completed"), (.deliveryCancelled, "cancelled"), (.deliverySchedulingFailed, "failed")]
            for (type, deliveryState) in expected where has(type) && delivery.state != deliveryState {
                contradictions.append("the delivery service's state is \(delivery.state) although it emitted \(type.rawValue)")
            }
        }
    }

    // MARK: The verdict

    private mutating func decide() -> (SagaVerdict, String) {
        let failures = facts.filter { SagaContract.failureTypes.contains($0.type) }
        var outcome: SagaVerdict?
        var outcomeDetail = ""
        if let completion = first(.deliveryCompleted) {
            outcome = .completed
            if let failure = failures.first {
                warnings.append("the saga completed although \(failure.type) was logged \(relative(failure.occurredAt))")
            }
            requireCompletionCleanUp(after: completion)
            outcomeDetail = completedDetail(completion)
        } else if let failure = SagaOutcomeRule.deciding(failures, type: { EventType($0.type) }) {
            // The owner's decision, not the earliest clock (see SagaOutcomeRule).
            let ending = SagaContract.ending(of: failure.type)
            outcome = ending
            outcomeDetail = requireCompensations(after: failures, ending: ending)
        } else {
            addForwardWaits()
        }

        let parkedReasons = parkedNow.map { message in
            var text = "\(message.eventType ?? "a message")"
            if let id = message.messageId { text += " (event \(Self.short(id)))" }
            text += " is parked in \(message.queue): \(message.reason) after \(message.attempts) attempt(s)"
            if let error = message.lastError?.split(separator: "\n").first { text += ": \(error)" }
            return text
        }
        if !contradictions.isEmpty {
            let all = contradictions + missing
            return (.inconsistent(missing: all), "\(all.count) problem(s): " + all.joined(separator: "; "))
        }
        if !parkedReasons.isEmpty {
            let reason = parkedReasons.joined(separator: "; ") + " (replay with saga-admin parked replay)"
            return (.stuck(reason: reason), reason)
        }
        if !missing.isEmpty {
            return (.inconsistent(missing: missing), "\(missing.count) thing(s) missing: " + missing.joined(separator: "; "))
        }
        if !stuckReasons.isEmpty {
            let reason = stuckReasons.joined(separator: "; ")
            return (.stuck(reason: reason), reason)
        }
        if let wait = waits.first {
            var detail = "waiting on \(wait.description)"
            if waits.count > 1 { detail += "; also on " + waits.dropFirst().map(\.description).joined(separator: "; ") }
            if !outcomeDetail.isEmpty { detail += " (\(outcomeDetail))" }
            return (.inFlight(waitingOn: wait.service, for: wait.event), detail)
        }
        if let outcome { return (outcome, outcomeDetail) }
        return (.inFlight(waitingOn: "ingestion", for: EventType.deliveryRequested.rawValue), "waiting on ingestion to publish delivery.requested")
    }

    // MARK: Completion

    private mutating func requireCompletionCleanUp(after completion: PublishedFact) {
        let state = snapshot.state
        let droneId = first(.droneAllocated)?.data["droneId"]?.stringValue ?? completion.data["droneId"]?.stringValue
            ?? state.allocation?.droneId ?? state.heldDrones.first?.droneId
        require(Requirement(
            service: "drone", event: .droneReleased, subject: "drone \(droneId ?? "(unknown)")", trigger: completion,
            done: facts.contains { $0.type == EventType.droneReleased.rawValue }, pending: pendingRow(.droneReleased) != nil,
            stillHeld: droneStillHeld(outcome: "completed"),
            stateDone: state.allocation?.state == "released" && state.heldDrones.isEmpty, isCompensation: false))

        if let package = state.package, package.state != "delivered" {
            let subject = "package \(package.packageId.uuidString.lowercased())"
            if let at = handled(by: "package", completion.type) {
                contradictions.append("\(subject) is still \(package.state) although the package service handled delivery.completed \(relative(at))")
            } else if !isParked(at: "package", completion.type) {
                let age = now.timeIntervalSince(completion.occurredAt)
                if age > stuckAfter {
                    stuckReasons.append("package has not handled delivery.completed \(Self.duration(age)) after it occurred (\(subject) is still \(package.state))")
                } else {
                    waits.append(SagaWait(
                        service: "package", event: completion.type, since: completion.occurredAt, dueAt: nil,
                        description: "package to handle delivery.completed (mark \(subject) delivered)"))
                }
            }
        }
    }

    private func completedDetail(_ completion: PublishedFact) -> String {
        var text = "delivery.completed \(relative(completion.occurredAt))"
        if let release = facts.first(where: { $0.type == EventType.droneReleased.rawValue }) {
            text += "; drone \(release.data["droneId"]?.stringValue ?? "") released (\(release.reasonCode ?? "no reason"))"
        }
        if let package = snapshot.state.package, package.state == "delivered" {
            text += "; package \(package.packageId.uuidString.lowercased()) delivered"
        }
        return text
    }

    // MARK: Failures and compensations

    private mutating func requireCompensations(after failures: [PublishedFact], ending: SagaVerdict) -> String {
        let state = snapshot.state
        let failure = failures[0]
        let word = ending == .cancelled ? "cancelled" : ending == .rejected ? "rejected" : "failed"
        var ran: [String] = []

        let packageCreated = first(.packageCreated)
        let packageId = packageCreated?.data["packageId"]?.stringValue?.lowercased() ?? state.package?.packageId.uuidString.lowercased()
        if packageCreated != nil || pendingRow(.packageCreated) != nil || state.package != nil {
            let subject = "package \(packageId ?? "(unknown)")"
            let cancelled = facts.contains { $0.type == EventType.packageCancelled.rawValue }
            require(Requirement(
                service: "package", event: .packageCancelled, subject: subject,
                trigger: failures.first { SagaContract.consumers(of: $0.type).contains("package") } ?? failure,
                done: cancelled, pending: pendingRow(.packageCancelled) != nil,
                stillHeld: state.package?.isActive == true ? "\(subject) is still active" : nil,
                stateDone: state.package?.state == "cancelled", isCompensation: true))
            if cancelled { ran.append("package.cancelled (\(subject))") }
        }

        let allocated = first(.droneAllocated)
        let droneId = allocated?.data["droneId"]?.stringValue ?? state.allocation?.droneId ?? state.heldDrones.first?.droneId
            ?? failures.lazy.compactMap { $0.data["droneId"]?.stringValue }.first
        if allocated != nil || pendingRow(.droneAllocated) != nil || state.allocation?.droneId != nil || !state.heldDrones.isEmpty {
            let subject = "drone \(droneId ?? "(unknown)")"
            let released = facts.contains { $0.type == EventType.droneReleased.rawValue }
            require(Requirement(
                service: "drone", event: .droneReleased, subject: subject,
                trigger: failures.first { SagaContract.consumers(of: $0.type).contains("drone") } ?? failure,
                done: released, pending: pendingRow(.droneReleased) != nil, stillHeld: droneStillHeld(outcome: word),
                stateDone: state.allocation.map { !$0.holdsDrone } == true && state.heldDrones.isEmpty, isCompensation: true))
            if released { ran.append("drone.released (\(subject))") }
        }

        var text = failure.type
        if let code = failure.reasonCode {
            text += " (\(code)" + (failure.reasonMessage.map { ": \($0)" } ?? "") + ")"
        }
        text += " \(relative(failure.occurredAt))"
        if failures.count > 1 { text += ", then " + failures.dropFirst().map(\.type).joined(separator: ", ") }
        text += ran.isEmpty ? "; nothing to compensate" : "; compensated by " + ran.joined(separator: " and ")
        return text
    }

    /// What the drone service's rows say is still held for this delivery, in plain words.
    private func droneStillHeld(outcome: String) -> String? {
        let state = snapshot.state
        if let drone = state.heldDrones.first {
            let verb = drone.state == "flying" ? "flying for" : "\(drone.state) to"
            return "drone \(drone.droneId) is still \(verb) this \(outcome) delivery"
        }
        if let allocation = state.allocation, allocation.holdsDrone {
            return "drone \(allocation.droneId ?? "(unknown)")'s allocation is still \(allocation.state) for this \(outcome) delivery"
        }
        return nil
    }

    /// Something a service must do after an event: emit `event` about `subject`.
    private struct Requirement {
        var service: String
        var event: EventType
        var subject: String
        var trigger: PublishedFact
        /// The event was published.
        var done: Bool
        /// The event is committed in the service's outbox, not yet published (checkOutbox reports it).
        var pending: Bool
        /// The service's rows still hold the thing (a contradiction if `done`).
        var stillHeld: String?
        /// The service's rows show it done although the event was not seen.
        var stateDone: Bool
        /// Whether it undoes a step (missing after the threshold is inconsistent, not stuck).
        var isCompensation: Bool
    }

    private mutating func require(_ requirement: Requirement) {
        let service = requirement.service
        let event = requirement.event.rawValue
        let trigger = requirement.trigger
        let age = now.timeIntervalSince(trigger.occurredAt)
        if requirement.done {
            if let held = requirement.stillHeld { contradictions.append("\(held) although \(event) was logged") }
            return
        }
        if requirement.pending { return }
        if requirement.stateDone {
            if age > stuckAfter {
                missing.append("\(event) for \(requirement.subject): \(service)'s own state shows it done but the event never reached the history log")
            } else {
                waits.append(SagaWait(
                    service: "history", event: event, since: trigger.occurredAt, dueAt: nil,
                    description: "history to log \(event) for \(requirement.subject) (\(service) did it)"))
            }
            return
        }
        if isParked(at: service, trigger.type) { return }
        let consumes = SagaContract.consumers(of: trigger.type).contains(service)
        let handledAt = handled(by: service, trigger.type)
        let why: String
        if let handledAt {
            why = "\(service) handled \(trigger.type) \(relative(handledAt)) but " + (requirement.stillHeld ?? "emitted nothing")
        } else if consumes {
            why = "\(service) has not handled \(trigger.type)" + (requirement.stillHeld.map { "; \($0)" } ?? "")
        } else {
            why = "\(service) does not react to \(trigger.type) and nothing else told it to" + (requirement.stillHeld.map { "; \($0)" } ?? "")
        }
        let description = "\(event) for \(requirement.subject) (\(why))"
        if age > stuckAfter {
            if requirement.isCompensation || handledAt != nil {
                missing.append(description)
            } else {
                stuckReasons.append("\(service) has not handled \(trigger.type) \(Self.duration(age)) after it occurred; \(event) for \(requirement.subject) is still to come")
            }
        } else {
            waits.append(SagaWait(
                service: service, event: event, since: trigger.occurredAt, dueAt: nil,
                description: "\(service) to emit \(event) for \(requirement.subject) after \(trigger.type)"))
        }
    }

    // MARK: In flight

    private mutating func addForwardWaits() {
        var forward: [SagaWait] = []
        func expect(_ service: String, _ event: EventType, after cause: Date?, _ what: String) {
            // The service already acted and its event waits in its outbox: checkOutbox reports it.
            guard !unpublished.contains(where: { $0.service == service }) else { return }
            let due = snapshot.deadlines.filter { $0.service == service && $0.isPending }.map(\.fireAt).min()
            forward.append(SagaWait(service: service, event: event.rawValue, since: cause, dueAt: due, description: what))
        }
        if let request = first(.deliveryCancellationRequested), !has(.deliveryCancelled), !has(.deliveryCancellationRefused) {
            expect("delivery", .deliveryCancelled, after: request.occurredAt, "delivery to act on delivery.cancellation-requested")
        }
        if let overdue = first(.deliveryPickupOverdue), !has(.deliveryCancelled), !has(.dronePickedUp), !has(.droneDelivered) {
            expect("drone", .droneReleased, after: overdue.occurredAt, "drone to release the drone of an overdue pickup (delivery.pickup-overdue)")
        }
        if let requested = first(.deliveryRequested) {
            if !has(.accountValidated) {
                expect("account", .accountValidated, after: requested.occurredAt, "account to check the owner's account (account.validated)")
            }
            if !has(.packageCreated) {
                expect("package", .packageCreated, after: requested.occurredAt, "package to register the package (package.created)")
            }
            if let created = first(.packageCreated), !has(.droneAllocated) {
                expect("drone", .droneAllocated, after: created.occurredAt, "drone to allocate a drone (drone.allocated)")
            }
            if let validated = first(.accountValidated), let allocated = first(.droneAllocated), !has(.deliveryScheduled) {
                expect("delivery", .deliveryScheduled, after: max(validated.occurredAt, allocated.occurredAt),
                       "delivery to join account.validated and drone.allocated (delivery.scheduled)")
            }
            if let scheduled = first(.deliveryScheduled), !has(.dronePickedUp), !has(.droneDelivered) {
                expect("drone", .dronePickedUp, after: scheduled.occurredAt, "drone to pick the package up (drone.picked-up)")
            }
            if let pickedUp = first(.dronePickedUp), !has(.droneDelivered) {
                expect("drone", .droneDelivered, after: pickedUp.occurredAt, "drone to drop the package off (drone.delivered)")
            }
            if let delivered = first(.droneDelivered) {
                expect("delivery", .deliveryCompleted, after: delivered.occurredAt, "delivery to complete the delivery (delivery.completed)")
            }
        } else {
            expect("ingestion", .deliveryRequested, after: snapshot.state.request?.acceptedAt,
                   "ingestion to publish delivery.requested")
        }
        waits += forward

        // In flight but not moving: an overdue timer of the awaited service, or no activity at all.
        guard stuckReasons.isEmpty, let next = waits.first else { return }
        if let due = next.dueAt {
            if now.timeIntervalSince(due) > stuckAfter {
                stuckReasons.append("\(next.service)'s timer was due \(Self.duration(now.timeIntervalSince(due))) ago and has not fired; waiting on \(next.description)")
            }
        } else if let last = lastActivity, now.timeIntervalSince(last) > stuckAfter {
            stuckReasons.append("no progress for \(Self.duration(now.timeIntervalSince(last))): waiting on \(next.description)")
        }
    }

    // MARK: Formatting

    /// `+1.234s` from the saga's first event.
    private func relative(_ date: Date) -> String {
        guard let start else { return RFC3339.string(from: date) }
        return "at " + SagaTimeText.offset(date.timeIntervalSince(start))
    }

    static func duration(_ seconds: TimeInterval) -> String { SagaTimeText.duration(seconds) }

    static func short(_ id: UUID) -> String { String(id.uuidString.lowercased().prefix(8)) }
    static func short(_ id: String) -> String { String(id.lowercased().prefix(8)) }

    static func before(_ a: (Date, UUID), _ b: (Date, UUID)) -> Bool {
        a.0 != b.0 ? a.0 < b.0 : a.1.uuidString < b.1.uuidString
    }
}

/// Times as saga-inspect prints them.
package enum SagaTimeText {
    /// `+0.012s`, `+75.300s`: an offset from the saga's first event.
    package static func offset(_ seconds: TimeInterval) -> String {
        (seconds < 0 ? "-" : "+") + String(format: "%.3fs", abs(seconds))
    }

    /// `45s`, `5m12s`, `2h03m`: a duration for people.
    package static func duration(_ seconds: TimeInterval) -> String {
        let whole = Int(seconds.rounded(.down))
        if whole < 60 { return seconds < 10 ? String(format: "%.1fs", seconds) : "\(whole)s" }
        if whole < 3_600 { return "\(whole / 60)m" + String(format: "%02ds", whole % 60) }
        return "\(whole / 3_600)h" + String(format: "%02dm", whole % 3_600 / 60)
    }
}

extension SagaTimeText {
    /// The start of a window given as a duration back from `now` (`90s`, `30m`, `1h`, `2d`) or as
    /// an RFC 3339 time (`2026-06-15T08:00:00Z`) or date (`2026-06-15`, UTC midnight); nil if neither.
    package static func since(_ text: String, now: Date = Date()) -> Date? {
        let units: [Character: TimeInterval] = ["s": 1, "m": 60, "h": 3_600, "d": 86_400]
        if let unit = text.last.flatMap({ units[$0] }), let amount = Double(text.dropLast()), amount >= 0, amount.isFinite {
            return now.addingTimeInterval(-amount * unit)
        }
        if let date = RFC3339.date(from: text) { return date }
        if text.count == 10, let date = RFC3339.date(from: text + "T00:00:00Z") { return date }
        return nil
    }
}
