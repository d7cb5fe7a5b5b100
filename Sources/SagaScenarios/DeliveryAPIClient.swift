import Foundation
import PlainHTTPClient

/// The public HTTP API as a client sees it: the ingestion commands and the history status, every
/// request sent with an API key (`Authorization: Bearer <key>`).
public struct DeliveryAPIClient: Sendable {
    /// The status a `GET /api/deliveries/{id}` answered.
    public struct Status: Sendable, Decodable {
        public var deliveryId: String
        public var stage: String
        public var sagaState: String
        public var lastEventType: String
        public var updatedAt: String
        public var reason: Reason?

        /// A failure's reason.
        public struct Reason: Sendable, Decodable {
            public var code: String
            public var message: String
        }

        /// Whether the saga has ended (its stage is final).
        public var isTerminal: Bool { ["Completed", "Cancelled", "Compensated", "Rejected"].contains(stage) }
    }

    public let ingestion: PlainHTTPClient
    public let history: PlainHTTPClient
    /// The API key every request carries.
    public let apiKey: String

    /// The environment variable the command-line tools read the API key from.
    public static let apiKeyVariable = "FABRIKAM_API_KEY"

    /// A client for the ingestion and history services on localhost, authenticated with `apiKey`.
    public init(apiKey: String, ingestionPort: Int = 8080, historyPort: Int = 8086, host: String = "127.0.0.1") {
        self.apiKey = apiKey
        let authorization = [Self.authorization(apiKey)]
        ingestion = PlainHTTPClient(host: host, port: ingestionPort, headers: authorization)
        history = PlainHTTPClient(host: host, port: historyPort, headers: authorization)
    }

    /// The `Authorization` header that carries `apiKey`.
    public static func authorization(_ apiKey: String) -> (String, String) { ("Authorization", "Bearer \(apiKey)") }

    /// Submits a request body; returns the delivery id from the 202, or throws with the answer.
    public func submit(_ body: [UInt8], idempotencyKey: String? = nil) async throws -> UUID {
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
    public func cancel(_ deliveryId: UUID) async throws -> Int {
        try await ingestion.delete("/api/deliveries/\(deliveryId.uuidString.lowercased())").status
    }

    /// The current status, or nil while the history service does not know the delivery.
    public func status(_ deliveryId: UUID) async throws -> Status? {
        let response = try await history.get("/api/deliveries/\(deliveryId.uuidString.lowercased())")
        if response.status == 404 { return nil }
        guard response.status == 200 else {
            throw SagaScenarioError(description: "GET status answered \(response.status): \(response.text.prefix(300))")
        }
        return try JSONDecoder().decode(Status.self, from: Data(response.body))
    }
}
