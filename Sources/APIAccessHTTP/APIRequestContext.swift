package import APIAccess
import Choreography
package import Hummingbird
import HummingbirdAuth

/// The request context of the `/api` routes: Hummingbird's basic context plus the principal the
/// ``APIKeyAuthenticator`` found (HummingbirdAuth's `AuthRequestContext`).
package struct APIRequestContext: AuthRequestContext, ChildRequestContext {
    package var coreContext: CoreRequestContextStorage
    /// The authenticated principal (set by ``APIKeyAuthenticator``).
    package var identity: APIPrincipal?

    /// The context for a request the router took with a `BasicRequestContext`.
    package init(context: BasicRequestContext) {
        self.coreContext = context.coreContext
        self.identity = nil
    }

    /// The principal; every `/api` route runs behind ``APIPrincipalRequired``, so it is set.
    package var principal: APIPrincipal {
        get throws {
            guard let identity else { throw APIAccessRules.unauthorized(.missing) }
            return identity
        }
    }
}
