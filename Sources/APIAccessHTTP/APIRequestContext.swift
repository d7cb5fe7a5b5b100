import APIAccess
import Choreography
import Hummingbird
import HummingbirdAuth

/// The request context of the `/api` routes: Hummingbird's basic context plus the principal the
/// ``APIKeyAuthenticator`` found (HummingbirdAuth's `AuthRequestContext`).
public struct APIRequestContext: AuthRequestContext, ChildRequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The authenticated principal (set by ``APIKeyAuthenticator``).
    public var identity: APIPrincipal?

    /// The context for a request the router took with a `BasicRequestContext`.
    public init(context: BasicRequestContext) {
        self.coreContext = context.coreContext
        self.identity = nil
    }

    /// The principal; every `/api` route runs behind ``APIPrincipalRequired``, so it is set.
    public var principal: APIPrincipal {
        get throws {
            guard let identity else { throw APIAccessRules.unauthorized(.missing) }
            return identity
        }
    }
}
