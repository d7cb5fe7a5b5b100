package import Foundation
package import PlainHTTPClient

/// The public HTTP API as a client sees it: the ingestion commands and the history status, every
/// request sent with an API key (`Authorization: Bearer <key>`).
package struct DeliveryAPIClient: Sendable {
    /// The status a `GET /api/deliveries/{id}` answered.
    package struct Status: Sendable, Decodable {
        package var deliveryId: String
        package var stage: String
        package var sagaState: String
        package var lastEventType: String
        package var updatedAt: String
        package var reason: Reason?

        /// A failure's reason.
        package struct Reason: Sendable, Decodable {
            package var code: String
            package var message: String
        }

        /// Whether the saga has ended (its stage is final).
        package var isTerminal: Bool { ["Completed", "Cancelled", "Compensated", "Rejected"].contains(stage) }
    }

    package let ingestion: PlainHTTPClient
    package let history: PlainHTTPClient
    /// The API key every request carries.
    package let apiKey: String

    /// The environment variable the command-line tools read the API key from.
    package static let apiKeyVariable = "FABRIKAM_API_KEY"

    /// A client for the ingestion and history services on localhost, authenticated with `apiKey`.
    package init(apiKey: String, ingestionPort: Int = 8080, historyPort: Int = 8086, host: String = "127.0.0.1") {
        self.apiKey = apiKey
        let authorization = [Self.authorization(apiKey)]
        ingestion = PlainHTTPClient(host: host, port: ingestionPort, headers: authorization)
        history = PlainHTTPClient(host: host, port: historyPort, headers: authorization)
    }

    /// The `Authorization` header that carries `apiKey`.
    package static func authorization(_ apiKey: String) -> (String, String) { ("Authorization", "Bearer \(apiKey)") }

    /// Submits a request body; returns the delivery id from the 202, or throws with the answer.
    package func submit(_ body: [UInt8], idempotencyKey: String? = nil) async throws -> UUID {
        let headers = idempotencyKey.map { [("Idempotency-Key", $0)] } ?? []
        let response = try await ingestion.post("/api/deliveries", json: body, headers: headers)
        guard response.status == 202,
              let answer = try? JSONDecoder().decode([String: String].self, from: Data(response.body)),
              let id = answer["deliveryId"].flatMap(UUID.init(uuidString:)) else {
            throw SagaScenarioError(description: "POST /api/deliveries answered \(response.status): \(response.text.prefix(500))")
        }
        return id
    }

    /// Asks to cancel; returns the HTTP status.
    package func cancel(_ deliveryId: UUID) async throws -> Int {
        try await ingestion.delete("/api/deliveries/\(deliveryId.uuidString.lowercased())").status
    }

    /// The current status, or nil while the history service does not know the delivery.
    package func status(_ deliveryId: UUID) async throws -> Status? {
        let response = try await history.get("/api/deliveries/\(deliveryId.uuidString.lowercased())")
        if response.status == 404 { return nil }
        guard response.status == 200 else {
            throw SagaScenarioError(description: "GET status answered \(response.status): \(response.text.prefix(300))")
        }
        return try JSONDecoder().decode(Status.self, from: Data(response.body))
    }
}
