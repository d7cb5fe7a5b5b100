import Choreography
import Foundation
import ServiceHTTP
import Testing

@testable import APIAccess
@testable import APIAccessHTTP

/// The access rules and the key format, without servers.
@Suite struct APIAccessRulesTests {
    let customer = APIPrincipal(keyId: UUID(), role: .customer(ownerId: "acme"))
    let operatorPrincipal = APIPrincipal(keyId: UUID(), role: .operator)

    @Test func aCustomerRequestsDeliveriesOnlyForItsOwnOwner() {
        #expect(APIAccessRules.mayCreateDelivery(for: "acme", as: customer) == .allowed)
        guard case .forbidden(let why) = APIAccessRules.mayCreateDelivery(for: "globex", as: customer) else {
            Issue.record("another owner's delivery was allowed")
            return
        }
        #expect(why.contains("acme") && why.contains("globex"))
    }

    @Test func anOperatorRequestsDeliveriesForAnyone() {
        #expect(APIAccessRules.mayCreateDelivery(for: "globex", as: operatorPrincipal) == .allowed)
    }

    @Test func aCustomerSeesOnlyItsOwnDeliveries() {
        #expect(APIAccessRules.maySee(deliveryOwnedBy: "acme", as: customer))
        #expect(!APIAccessRules.maySee(deliveryOwnedBy: "globex", as: customer))
        #expect(!APIAccessRules.maySee(deliveryOwnedBy: nil, as: customer))
        #expect(customer.ownerScope == "acme")
    }

    @Test func anOperatorSeesEveryDelivery() {
        #expect(APIAccessRules.maySee(deliveryOwnedBy: "globex", as: operatorPrincipal))
        #expect(APIAccessRules.maySee(deliveryOwnedBy: nil, as: operatorPrincipal))
        #expect(operatorPrincipal.ownerScope == nil)
    }

    @Test func keysAreRandomPrefixedBase64URLOf32Bytes() {
        let keys = (0..<100).map { _ in APIKeySecret.generate() }
        #expect(Set(keys).count == keys.count)
        for key in keys {
            #expect(key.hasPrefix("fdk_"))
            #expect(key.count == 4 + 43)
            #expect(APIKeySecret.isWellFormed(key))
        }
    }

    @Test func malformedBearerTokensAreRefusedBeforeAnyLookup() {
        #expect(APIAccessRules.key(fromBearer: nil) == .failure(.init(.missing)))
        for token in ["", "fdk_", "abc", "fdk_" + String(repeating: "a", count: 42), "fdk_" + String(repeating: "+", count: 43),
                      "xyz_" + String(repeating: "a", count: 43), "fdk_" + String(repeating: "a", count: 44)] {
            #expect(APIAccessRules.key(fromBearer: token) == .failure(.init(.malformed)), "\(token)")
        }
        let key = APIKeySecret.generate()
        #expect(APIAccessRules.key(fromBearer: key) == .success(key))
    }

    @Test func theHashIsSHA256InLowerCaseHex() {
        // SHA-256("abc"), FIPS 180-2 test vector.
        #expect(APIKeySecret.hash("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func refusalsAreProblemsWithTheirStatus() {
        #expect(APIAccessRules.unauthorized(.unknownOrRevoked).status == 401)
        #expect(APIAccessRules.unauthorized(.missing).type.hasSuffix("/unauthorized"))
        #expect(APIAccessRules.forbidden("no").status == 403)
    }

    @Test func aVerifiedKeyIsTrustedOnlyForTheMaximumAge() {
        let start = ContinuousClock.now
        #expect(APIKeyVerifier.isFresh(verifiedAt: start, now: start + .seconds(1), maximumAge: .seconds(2)))
        #expect(!APIKeyVerifier.isFresh(verifiedAt: start, now: start + .seconds(2), maximumAge: .seconds(2)))
    }
}
