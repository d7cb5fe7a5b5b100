package import APIAccess
import Choreography
import Foundation
package import HTTPTypes
package import Hummingbird
import HummingbirdAuth
import Logging
import Postgres
package import ServiceHTTP
import UUIDText

/// A problem document thrown by the access middleware, answered as problem+json (401s with
/// `WWW-Authenticate: Bearer`).
package struct APIAccessProblem: HTTPResponseError {
    /// The problem.
    package var problem: ProblemDetails

    /// Wraps `problem`.
    package init(_ problem: ProblemDetails) { self.problem = problem }

    package var status: HTTPResponse.Status { HTTPResponse.Status(code: problem.status) }

    package func response(from request: Request, context: some RequestContext) throws -> Response {
        var response = problem.response
        if status == .unauthorized { response.headers[.wwwAuthenticate] = "Bearer" }
        return response
    }
}

/// HummingbirdAuth's bearer authenticator for API keys: no `Authorization: Bearer` header leaves
/// the request unauthenticated (``APIPrincipalRequired`` answers 401); a malformed, unknown or
/// revoked key is refused at once with 401; an unavailable key store is a 503.
package struct APIKeyAuthenticator: AuthenticatorMiddleware {
    package typealias Context = APIRequestContext
    /// The verifier that looks keys up.
    package let verifier: APIKeyVerifier

    /// An authenticator over `verifier`.
    package init(verifier: APIKeyVerifier) { self.verifier = verifier }

    package func authenticate(request: Request, context: APIRequestContext) async throws -> APIPrincipal? {
        guard let bearer = request.headers.bearer else { return nil }
        let key: String
        switch APIAccessRules.key(fromBearer: bearer.token) {
        case .success(let text): key = text
        case .failure(let error): throw APIAccessProblem(APIAccessRules.unauthorized(error.refusal))
        }
        let principal: APIPrincipal?
        do {
            principal = try await verifier.principal(forKey: key)
        } catch let error as PostgresError where error.isConnectionError {
            context.logger.info("key store unavailable", metadata: ["error.message": "\(error)"])
            throw APIAccessProblem(ProblemDetails(
                "unavailable", title: "Service unavailable", status: .serviceUnavailable, detail: "The key store is unavailable; retry later."))
        } catch {
            context.logger.error("key lookup failed", metadata: ["error.message": "\(error)"])
            throw APIAccessProblem(ProblemDetails("internal-error", title: "Internal error", status: .internalServerError))
        }
        guard let principal else { throw APIAccessProblem(APIAccessRules.unauthorized(.unknownOrRevoked)) }
        return principal
    }
}

/// Lets only authenticated requests through (HummingbirdAuth's `IsAuthenticatedMiddleware`, but
/// answering problem+json): anything else is a 401 with `WWW-Authenticate: Bearer`.
package struct APIPrincipalRequired: RouterMiddleware {
    package typealias Context = APIRequestContext

    /// The middleware.
    package init() {}

    package func handle(_ request: Request, context: APIRequestContext, next: (Request, APIRequestContext) async throws -> Response) async throws -> Response {
        guard let principal = context.identity else { throw APIAccessProblem(APIAccessRules.unauthorized(.missing)) }
        var context = context
        context.logger[metadataKey: "api.key.id"] = .string(principal.keyId.lowercaseText)
        return try await next(request, context)
    }
}

/// The `/api` routes' entry: a group of `router` whose every route is authenticated by API key.
package enum APIAccess {
    /// Returns the authenticated group; keys are read through `database` with the service's role.
    package static func authenticated(
        _ router: Router<BasicRequestContext>, database: ServiceDatabase, maximumAge: Duration = APIKeyVerifier.defaultMaximumAge
    ) -> RouterGroup<APIRequestContext> {
        let verifier = APIKeyVerifier(maximumAge: maximumAge) { hash in
            try await database.read { db in try APIKeyStore.principal(forHash: hash, on: db) }
        }
        return router.group(context: APIRequestContext.self)
            .add(middleware: APIKeyAuthenticator(verifier: verifier))
            .add(middleware: APIPrincipalRequired())
    }
}
