package import Contracts
package import Foundation
import UUIDText

/// Where a delivery is (`schemas/common.v1.json#/$defs/deliveryStage`).
package enum DeliveryStage: String, Codable, Sendable, Hashable, CaseIterable {
    /// Requested; the account, package and drone branches are running.
    case created = "Created"
    /// Scheduled; the drone flies to the pickup point.
    case headedToPickup = "HeadedToPickup"
    /// Picked up; the drone flies to the drop-off point.
    case headedToDropoff = "HeadedToDropoff"
    /// Delivered.
    case completed = "Completed"
    /// Cancelled before pickup.
    case cancelled = "Cancelled"
    /// A step failed and the earlier steps were undone.
    case compensated = "Compensated"
    /// The account or the package was rejected.
    case rejected = "Rejected"

    /// Whether the delivery can no longer move on from this stage.
    package var isTerminal: Bool {
        switch self {
        case .created, .headedToPickup, .headedToDropoff: false
        case .completed, .cancelled, .compensated, .rejected: true
        }
    }
}

/// Whether the saga still runs or how it ended (`DeliveryStatus.sagaState` in `schemas/openapi.yaml`).
package enum SagaState: String, Codable, Sendable, Hashable, CaseIterable {
    /// Still running.
    case inFlight
    /// Ended well.
    case completed
    /// Ended after compensations (a failure or a cancellation).
    case compensated
    /// Ended with a rejection.
    case rejected
    /// No progress past its deadlines (not produced by the event projection, which has no clock).
    case stuck
}

/// A reason as the status shows it: a code and a message.
package struct StatusReason: Codable, Sendable, Hashable {
    /// The machine-readable code, e.g. `ACCOUNT_SUSPENDED`.
    package var code: String
    /// The human-readable message.
    package var message: String

    /// A reason from its parts.
    package init(code: String, message: String) {
        self.code = code
        self.message = message
    }

    /// The reason an event carries.
    package init<Code>(_ reason: Reason<Code>) {
        self.init(code: reason.code.rawValue, message: reason.message)
    }
}

/// A delivery's current status: the body of `GET /api/deliveries/{deliveryId}`
/// (`DeliveryStatus` in `schemas/openapi.yaml`). Encode it with `EventCoding.makeEncoder()`:
/// absent fields are left out, ids are lower-case, times are RFC 3339 UTC with milliseconds.
package struct DeliveryStatus: Codable, Sendable, Hashable {
    /// The delivery.
    package var deliveryId: UUID
    /// Where it is.
    package var stage: DeliveryStage
    /// Whether the saga runs or how it ended.
    package var sagaState: SagaState
    /// The owner, once an event named it.
    package var ownerId: String?
    /// The drone, once one was allocated.
    package var droneId: String?
    /// The package, once it was created.
    package var packageId: UUID?
    /// When the drone is expected at the pickup point.
    package var pickupEta: Date?
    /// When it is expected at the drop-off point.
    package var dropoffEta: Date?
    /// The failure, compensation or refusal that shaped the current stage.
    package var reason: StatusReason?
    /// The type of the delivery's latest event (by `occurredAt`).
    package var lastEventType: String
    /// When the delivery's latest event occurred.
    package var updatedAt: Date

    /// A status from its fields.
    package init(
        deliveryId: UUID, stage: DeliveryStage, sagaState: SagaState, ownerId: String? = nil, droneId: String? = nil,
        packageId: UUID? = nil, pickupEta: Date? = nil, dropoffEta: Date? = nil, reason: StatusReason? = nil,
        lastEventType: String, updatedAt: Date
    ) {
        self.deliveryId = deliveryId
        self.stage = stage
        self.sagaState = sagaState
        self.ownerId = ownerId
        self.droneId = droneId
        self.packageId = packageId
        self.pickupEta = pickupEta
        self.dropoffEta = dropoffEta
        self.reason = reason
        self.lastEventType = lastEventType
        self.updatedAt = updatedAt
    }

    private enum CodingKeys: String, CodingKey {
        case deliveryId, stage, sagaState, ownerId, droneId, packageId, pickupEta, dropoffEta, reason, lastEventType, updatedAt
    }

    /// Encodes the fields of the API; absent ones are left out, ids are lower-case.
    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(deliveryId.lowercaseText, forKey: .deliveryId)
        try container.encode(stage, forKey: .stage)
        try container.encode(sagaState, forKey: .sagaState)
        try container.encodeIfPresent(ownerId, forKey: .ownerId)
        try container.encodeIfPresent(droneId, forKey: .droneId)
        try container.encodeIfPresent(packageId?.lowercaseText, forKey: .packageId)
        try container.encodeIfPresent(pickupEta, forKey: .pickupEta)
        try container.encodeIfPresent(dropoffEta, forKey: .dropoffEta)
        try container.encodeIfPresent(reason, forKey: .reason)
        try container.encode(lastEventType, forKey: .lastEventType)
        try container.encode(updatedAt, forKey: .updatedAt)
    }
}

/// One event of a delivery's timeline: an element of `events` in the body of
/// `GET /api/deliveries/{deliveryId}/events` (`TimelineEvent` in `schemas/openapi.yaml`).
package struct TimelineEntry: Codable, Sendable, Hashable {
    /// The event id.
    package var eventId: UUID
    /// The event type.
    package var type: String
    /// The payload's schema version.
    package var version: Int
    /// The producing service.
    package var producer: String
    /// When the event happened.
    package var occurredAt: Date
    /// When the history service stored it.
    package var recordedAt: Date
    /// The event that caused it (`null` in JSON when none).
    package var causationId: UUID?
    /// The payload as published.
    package var data: JSONValue

    /// An entry from its fields.
    package init(
        eventId: UUID, type: String, version: Int, producer: String, occurredAt: Date, recordedAt: Date,
        causationId: UUID?, data: JSONValue
    ) {
        self.eventId = eventId
        self.type = type
        self.version = version
        self.producer = producer
        self.occurredAt = occurredAt
        self.recordedAt = recordedAt
        self.causationId = causationId
        self.data = data
    }

    private enum CodingKeys: String, CodingKey {
        case eventId, type, version, producer, occurredAt, recordedAt, causationId, data
    }

    /// Encodes every field, `causationId` as `null` when absent; ids are lower-case.
    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(eventId.lowercaseText, forKey: .eventId)
        try container.encode(type, forKey: .type)
        try container.encode(version, forKey: .version)
        try container.encode(producer, forKey: .producer)
        try container.encode(occurredAt, forKey: .occurredAt)
        try container.encode(recordedAt, forKey: .recordedAt)
        if let causationId {
            try container.encode(causationId.lowercaseText, forKey: .causationId)
        } else {
            try container.encodeNil(forKey: .causationId)
        }
        try container.encode(data, forKey: .data)
    }
}

/// A delivery's timeline: the body of `GET /api/deliveries/{deliveryId}/events`
/// (`DeliveryTimeline` in `schemas/openapi.yaml`).
package struct DeliveryTimeline: Codable, Sendable, Hashable {
    /// The delivery.
    package var deliveryId: UUID
    /// Its events in the order the history service recorded them (at most 1000).
    package var events: [TimelineEntry]

    /// A timeline from its parts.
    package init(deliveryId: UUID, events: [TimelineEntry]) {
        self.deliveryId = deliveryId
        self.events = events
    }

    private enum CodingKeys: String, CodingKey { case deliveryId, events }

    /// Encodes both fields; the id lower-case.
    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(deliveryId.lowercaseText, forKey: .deliveryId)
        try container.encode(events, forKey: .events)
    }
}
