package import Foundation

/// Who a request speaks for, as its API key says: a customer bound to one owner id, or an
/// operator who may see and do everything.
package struct APIPrincipal: Sendable, Hashable {
    /// What kind of principal, and for a customer, whose.
    package enum Role: Sendable, Hashable {
        /// A customer: creates, reads and cancels only deliveries of `ownerId`.
        case customer(ownerId: String)
        /// An operator: every delivery of every owner.
        case `operator`
    }

    /// The key's id in the store (logged; never the key).
    package var keyId: UUID
    /// The principal's role.
    package var role: Role

    /// A principal.
    package init(keyId: UUID, role: Role) {
        self.keyId = keyId
        self.role = role
    }

    /// The owner whose deliveries alone this principal sees, or nil for an operator (all).
    package var ownerScope: String? {
        switch role {
        case .customer(let ownerId): ownerId
        case .operator: nil
        }
    }
}
