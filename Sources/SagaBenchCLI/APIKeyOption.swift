import ArgumentParser
import Choreography
import Foundation
import SagaScenarios

/// The API key the HTTP API's commands authenticate with: `--api-key`, else `$FABRIKAM_API_KEY`
/// (scripts/run.sh exports an operator's key; `saga-admin api-keys issue` makes one).
struct APIKeyOption: ParsableArguments {
    @Option(help: "API key sent as 'Authorization: Bearer <key>' (default: $\(DeliveryAPIClient.apiKeyVariable)).")
    var apiKey: String?

    /// The key, or a usage error saying how to get one.
    func resolved() throws -> String {
        if let apiKey, !apiKey.isEmpty { return apiKey }
        if let key = ServiceSettings().string(DeliveryAPIClient.apiKeyVariable, isSecret: true) { return key }
        throw ValidationError(
            "no API key: pass --api-key or set \(DeliveryAPIClient.apiKeyVariable) (saga-admin api-keys issue --operator prints one)")
    }

    /// A client for the services on these ports, with the key.
    func client(ingestionPort: Int, historyPort: Int) throws -> DeliveryAPIClient {
        DeliveryAPIClient(apiKey: try resolved(), ingestionPort: ingestionPort, historyPort: historyPort)
    }
}
