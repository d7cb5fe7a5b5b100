import AccountService
import Choreography
import Contracts
import Foundation
import Postgres
import ServiceTestSupport

/// A harness running the account service in a schema of its own.
func accountHarness(configure: (inout ChoreographyConfiguration) -> Void = { _ in }) throws -> ServiceHarness {
    try ServiceHarness({ name, schema in try AccountService.definition(name: name, schema: schema) }, configure: configure)
}

/// A delivery request by `owner` (the sample's route and package).
func deliveryRequest(owner: String) -> DeliveryRequested {
    var request = DeliveryRequested.sample()
    request.ownerId = owner
    return request
}

/// The routing keys the account service emits.
let accountEventKeys = ["account.validated", "account.rejected"]

extension ServiceHarness {
    /// Runs `body` on a connection whose `search_path` is the service's schema (migrated once the
    /// service has started).
    func withServiceDatabase<T: Sendable>(_ body: @escaping @Sendable (isolated PostgresConnection) throws -> T) async throws -> T {
        let connection = try await connectToSchema()
        let result = try await connection.withIsolation { db in try body(db) }
        await connection.close()
        return result
    }
}

/// Emitted envelopes by delivery id (each delivery must have emitted exactly one event).
func byDelivery(_ envelopes: [AnyEventEnvelope]) -> [UUID: AnyEventEnvelope] {
    Dictionary(envelopes.map { ($0.deliveryId, $0) }, uniquingKeysWith: { first, _ in first })
}
