package import Contracts
package import Foundation
import UUIDText

extension DeliveryStatusSummary {
    /// The summary as `delivery_status.summary` holds it: a JSON object with a member per fact
    /// present; times are seconds since 2001 as JSON numbers, which read back to the same `Date`.
    package var stored: JSONValue {
        var members: [String: JSONValue] = [:]
        func put(_ key: String, _ value: (some StoredField)?) {
            if let value { members[key] = value.stored }
        }
        put("latest", latest)
        put("ownerId", ownerId)
        put("droneId", droneId)
        put("packageId", packageId)
        put("pickupEta", pickupEta)
        put("dropoffEta", dropoffEta)
        put("scheduledDropoffEta", scheduledDropoffEta)
        put("firstDropoffEta", firstDropoffEta)
        put("flightStart", flightStart)
        put("scheduled", scheduled ? true : nil)
        put("completed", completed ? true : nil)
        put("compensated", compensated ? true : nil)
        put("ending", ending)
        put("refusal", refusal)
        return .object(members)
    }

    /// Reads a summary ``stored`` wrote; throws ``StoredSummaryError`` for anything else.
    package init(stored: JSONValue) throws(StoredSummaryError) {
        guard case .object(let members) = stored else { throw StoredSummaryError(key: nil) }
        func take<Field: StoredField>(_ key: String) throws(StoredSummaryError) -> Field? {
            guard let value = members[key] else { return nil }
            guard let field = Field(stored: value) else { throw StoredSummaryError(key: key) }
            return field
        }
        self.init()
        latest = try take("latest")
        ownerId = try take("ownerId")
        droneId = try take("droneId")
        packageId = try take("packageId")
        pickupEta = try take("pickupEta")
        dropoffEta = try take("dropoffEta")
        scheduledDropoffEta = try take("scheduledDropoffEta")
        firstDropoffEta = try take("firstDropoffEta")
        flightStart = try take("flightStart")
        scheduled = try take("scheduled") ?? false
        completed = try take("completed") ?? false
        compensated = try take("compensated") ?? false
        ending = try take("ending")
        refusal = try take("refusal")
    }
}

/// A stored summary that is not what ``DeliveryStatusSummary/stored`` writes.
package struct StoredSummaryError: Error, CustomStringConvertible {
    /// The member that could not be read; nil when the summary is not an object.
    package var key: String?

    /// What could not be read.
    package var description: String {
        key.map { "the stored status summary's member '\($0)' cannot be read" } ?? "the stored status summary is not a JSON object"
    }
}

/// A member of the stored summary: written as JSON and read back to an equal value.
protocol StoredField {
    /// The value as JSON.
    var stored: JSONValue { get }
    /// The value `stored` wrote, or nil for other JSON.
    init?(stored: JSONValue)
}

extension Bool: StoredField {
    var stored: JSONValue { .bool(self) }
    init?(stored: JSONValue) {
        guard let value = stored.boolValue else { return nil }
        self = value
    }
}

extension String: StoredField {
    var stored: JSONValue { .string(self) }
    init?(stored: JSONValue) {
        guard let value = stored.stringValue else { return nil }
        self = value
    }
}

extension UUID: StoredField {
    var stored: JSONValue { .string(lowercaseText) }
    init?(stored: JSONValue) {
        guard let text = stored.stringValue, let value = UUIDText.uuid(text) else { return nil }
        self = value
    }
}

extension Date: StoredField {
    /// Seconds since 2001, `Date`'s own value: written with as many digits as read it back exactly.
    var stored: JSONValue { .number(timeIntervalSinceReferenceDate) }
    init?(stored: JSONValue) {
        guard let seconds = stored.numberValue else { return nil }
        self.init(timeIntervalSinceReferenceDate: seconds)
    }
}

extension EventType: StoredField {
    var stored: JSONValue { .string(rawValue) }
    init?(stored: JSONValue) {
        guard let value = stored.stringValue else { return nil }
        self.init(value)
    }
}

extension StatusReason: StoredField {
    var stored: JSONValue { .object(["code": .string(code), "message": .string(message)]) }
    init?(stored: JSONValue) {
        guard let code = stored["code"]?.stringValue, let message = stored["message"]?.stringValue else { return nil }
        self.init(code: code, message: message)
    }
}

extension LogPosition: StoredField {
    var stored: JSONValue { .object(["at": occurredAt.stored, "id": eventId.stored]) }
    init?(stored: JSONValue) {
        guard let at = stored["at"].flatMap(Date.init(stored:)), let id = stored["id"].flatMap(UUID.init(stored:)) else { return nil }
        self.init(occurredAt: at, eventId: id)
    }
}

extension Latest: StoredField where Value: StoredField {
    /// The position's members and the value's.
    var stored: JSONValue { .object(["at": position.occurredAt.stored, "id": position.eventId.stored, "value": value.stored]) }
    init?(stored: JSONValue) {
        guard let position = LogPosition(stored: stored), let value = stored["value"].flatMap(Value.init(stored:)) else { return nil }
        self.init(value, at: position)
    }
}

extension SagaEnding: StoredField {
    var stored: JSONValue {
        .object([
            "type": type.stored, "at": position.occurredAt.stored, "id": position.eventId.stored, "stage": .string(stage.rawValue),
            "sagaState": .string(sagaState.rawValue), "reason": reason.stored,
        ])
    }
    init?(stored: JSONValue) {
        guard let type = stored["type"].flatMap(EventType.init(stored:)), let position = LogPosition(stored: stored),
              let stage = stored["stage"]?.stringValue.flatMap(DeliveryStage.init(rawValue:)),
              let sagaState = stored["sagaState"]?.stringValue.flatMap(SagaState.init(rawValue:)),
              let reason = stored["reason"].flatMap(StatusReason.init(stored:)) else { return nil }
        self.init(type: type, position: position, stage: stage, sagaState: sagaState, reason: reason)
    }
}
