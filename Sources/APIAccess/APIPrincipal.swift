import Foundation

/// Who a request speaks for, as its API key says: a customer bound to one owner id, or an
/// operator who may see and do everything.
public struct APIPrincipal: Sendable, Hashable {
    /// What kind of principal, and for a customer, whose.
    public enum Role: Sendable, Hashable {
        /// A customer: creates, reads and cancels only deliveries of `ownerId`.
        case customer(ownerId: String)
        /// An operator: every delivery of every owner.
        case `operator`
    }

    /// The key's id in the store (logged; never the key).
    public var keyId: UUID
    /// The principal's role.
    public var role: Role

    /// A principal.
    public init(keyId: UUID, role: Role) {
        self.keyId = keyId
        self.role = role
    }

    /// The owner whose deliveries alone this principal sees, or nil for an operator (all).
    public var ownerScope: String? {
        switch role {
        case .customer(let ownerId): ownerId
        case .operator: nil
        }
    }
}
