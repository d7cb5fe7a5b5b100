import Choreography
package import Contracts
package import Foundation
import HTTPTypes
package import ServiceHTTP

/// Checks a `POST /api/deliveries` body: JSON, the `delivery.requested` payload schema, and the
/// rules a schema cannot say (the deadline after the pickup time, the pickup within the booking
/// horizon). Every violation is reported.
package struct DeliveryRequestValidation: Sendable {
    /// A request that passed: the typed payload and its JSON (stored as received).
    package struct Accepted: Sendable {
        package var request: DeliveryRequested
        package var json: JSONValue
    }

    private let schema: JSONSchema
    /// How far ahead a pickup may be booked: a drone is held for a booked delivery, so a booking
    /// for years ahead would hold one for years.
    package let bookingHorizon: TimeInterval
    /// The clock the horizon is measured from.
    private let now: @Sendable () -> Date

    /// The default booking horizon: 30 days (`INGESTION_BOOKING_HORIZON_DAYS`).
    package static let defaultBookingHorizon: TimeInterval = 30 * 86_400

    /// A validator over the embedded contracts, refusing pickups more than `bookingHorizon` after `now()`.
    package init(bookingHorizon: TimeInterval = defaultBookingHorizon, now: @escaping @Sendable () -> Date = Date.init) throws {
        self.bookingHorizon = bookingHorizon
        self.now = now
        let validator = try ContractValidator()
        guard let schema = validator.payloadSchema(for: .deliveryRequested, version: DeliveryRequested.schemaVersion) else {
            throw ContractError(.unknownType, "no schema for delivery.requested v\(DeliveryRequested.schemaVersion)")
        }
        self.schema = schema
    }

    /// The request, or the problem to answer (400 for a body that is not JSON, duplicate member
    /// names included; 422 listing every invalid field).
    package func validate(_ body: [UInt8]) -> Result<Accepted, ProblemDetails> {
        let json: JSONValue
        do {
            json = try JSONValue(parsing: body)
        } catch {
            return .failure(ProblemDetails(
                "malformed-request", title: "Malformed request", status: .badRequest, detail: "not JSON: \(error.message)"))
        }
        var errors = schema.validate(json).map {
            ProblemDetails.FieldError(pointer: $0.instanceLocation, detail: $0.message, keyword: $0.keyword)
        }
        var request: DeliveryRequested?
        if errors.isEmpty {
            do {
                // Decoded from the very value that was validated, then encoded as it will be
                // emitted and validated again: consumers get exactly a document that passed (a
                // time whose UTC form leaves the schema's range, say, is refused here, not parked there).
                let decoded = try JSONValueDecoder().decode(DeliveryRequested.self, from: json)
                let emitted = schema.validate(try JSONValueEncoder().encode(decoded))
                errors += emitted.map {
                    ProblemDetails.FieldError(
                        pointer: $0.instanceLocation, detail: "cannot be sent on as given: \($0.message)", keyword: $0.keyword)
                }
                if emitted.isEmpty { request = decoded }
            } catch {
                errors.append(ProblemDetails.FieldError(pointer: "", detail: "cannot be read as a delivery request: \(error)"))
            }
        }
        if let request, request.deadline <= request.pickupTime {
            errors.append(ProblemDetails.FieldError(pointer: "/deadline", detail: "the deadline must be after the pickup time"))
        }
        if let request, request.pickupTime.timeIntervalSince(now()) > bookingHorizon {
            errors.append(ProblemDetails.FieldError(
                pointer: "/pickupTime",
                detail: "the pickup may be at most \(Int(bookingHorizon / 86_400)) days ahead (INGESTION_BOOKING_HORIZON_DAYS)"))
        }
        guard errors.isEmpty, let request else {
            return .failure(ProblemDetails(
                "validation-failed", title: "The delivery request is invalid", status: .unprocessableContent,
                detail: "\(errors.count) invalid field\(errors.count == 1 ? "" : "s")", errors: errors))
        }
        return .success(Accepted(request: request, json: json))
    }
}
