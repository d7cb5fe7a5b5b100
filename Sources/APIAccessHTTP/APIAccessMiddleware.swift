import APIAccess
import Choreography
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdAuth
import Logging
import Postgres
import ServiceHTTP

/// A problem document thrown by the access middleware, answered as problem+json (401s with
/// `WWW-Authenticate: Bearer`).
public struct APIAccessProblem: HTTPResponseError {
    /// The problem.
    public var problem: ProblemDetails

    /// Wraps `problem`.
    public init(_ problem: ProblemDetails) { self.problem = problem }

    public var status: HTTPResponse.Status { HTTPResponse.Status(code: problem.status) }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var response = problem.response
        if status == .unauthorized { response.headers[.wwwAuthenticate] = "Bearer" }
        return response
    }
}

/// HummingbirdAuth's bearer authenticator for API keys: no `Authorization: Bearer` header leaves
/// the request unauthenticated (``APIPrincipalRequired`` answers 401); a malformed, unknown or
/// revoked key is refused at once with 401; an unavailable key store is a 503.
public struct APIKeyAuthenticator: AuthenticatorMiddleware {
    public typealias Context = APIRequestContext
    /// The verifier that looks keys up.
    public let verifier: APIKeyVerifier

    /// An authenticator over `verifier`.
    public init(verifier: APIKeyVerifier) { self.verifier = verifier }

    public func authenticate(request: Request, context: APIRequestContext) async throws -> APIPrincipal? {
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
public struct APIPrincipalRequired: RouterMiddleware {
    public typealias Context = APIRequestContext

    /// The middleware.
    public init() {}

    public func handle(_ request: Request, context: APIRequestContext, next: (Request, APIRequestContext) async throws -> Response) async throws -> Response {
        guard let principal = context.identity else { throw APIAccessProblem(APIAccessRules.unauthorized(.missing)) }
        var context = context
        context.logger[metadataKey: "api.key.id"] = "\(principal.keyId.uuidString.lowercased())"
        return try await next(request, context)
    }
}

/// The `/api` routes' entry: a group of `router` whose every route is authenticated by API key.
public enum APIAccess {
    /// Returns the authenticated group; keys are read through `database` with the service's role.
    public static func authenticated(
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
