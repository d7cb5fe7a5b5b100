package import APIAccess
import Choreography
import Foundation
import HTTPTypes
package import ServiceHTTP

/// Who may do what through the HTTP API, as pure functions of the principal and the data (the
/// routes apply them; the tests check them without servers).
package enum APIAccessRules {
    /// The answer to "may this principal do that".
    package enum Decision: Sendable, Equatable {
        /// Go ahead.
        case allowed
        /// Refused with a 403 saying why.
        case forbidden(String)
    }

    /// Whether `principal` may request a delivery billed to `ownerId`: an operator for anyone, a
    /// customer only for its own owner id.
    package static func mayCreateDelivery(for ownerId: String, as principal: APIPrincipal) -> Decision {
        switch principal.role {
        case .operator:
            return .allowed
        case .customer(let own) where own == ownerId:
            return .allowed
        case .customer(let own):
            return .forbidden("This API key belongs to owner '\(own)'; it cannot request deliveries for owner '\(ownerId)'.")
        }
    }

    /// Whether `principal` may read or cancel a delivery whose owner is `owner` (nil when the
    /// service does not know it yet). A delivery it may not see is answered exactly like an
    /// unknown one (404), so delivery ids reveal nothing about other owners.
    package static func maySee(deliveryOwnedBy owner: String?, as principal: APIPrincipal) -> Bool {
        switch principal.role {
        case .operator: true
        case .customer(let own): owner == own
        }
    }

    /// Why a request is not authenticated.
    package enum Refusal: Sendable, Equatable {
        /// No `Authorization: Bearer` header.
        case missing
        /// A bearer token that is not shaped like a key.
        case malformed
        /// A well-formed key the store does not know, or one that was revoked.
        case unknownOrRevoked
    }

    /// Reads the bearer token: the key when it is well formed, otherwise why not.
    package static func key(fromBearer token: String?) -> Result<String, RefusalError> {
        guard let token else { return .failure(RefusalError(.missing)) }
        guard APIKeySecret.isWellFormed(token) else { return .failure(RefusalError(.malformed)) }
        return .success(token)
    }

    /// A refusal as an error.
    package struct RefusalError: Error, Sendable, Equatable {
        /// The refusal.
        package var refusal: Refusal
        /// Wraps `refusal`.
        package init(_ refusal: Refusal) { self.refusal = refusal }
    }

    /// The 401 problem for `refusal` (sent with `WWW-Authenticate: Bearer`).
    package static func unauthorized(_ refusal: Refusal) -> ProblemDetails {
        let detail = switch refusal {
        case .missing: "Send an API key as 'Authorization: Bearer <key>'."
        case .malformed: "The bearer token is not an API key (keys look like \(APIKeySecret.prefix)…)."
        case .unknownOrRevoked: "The API key is unknown or revoked."
        }
        return ProblemDetails("unauthorized", title: "Authentication required", status: .unauthorized, detail: detail)
    }

    /// The 403 problem for a refused action.
    package static func forbidden(_ detail: String) -> ProblemDetails {
        ProblemDetails("forbidden", title: "Forbidden", status: .forbidden, detail: detail)
    }
}
