import Choreography
import Foundation

/// The account service (placeholder: being written).
public enum AccountService {
    /// The service's migrations, from its `Migrations` resource folder.
    public static func migrations() throws -> [Migration] {
        guard let folder = Bundle.module.url(forResource: "Migrations", withExtension: nil) else { return [] }
        return try Migration.load(fromResourceFolder: folder)
    }
}
