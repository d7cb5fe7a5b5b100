import AMQP
package import Choreography

/// Sets up one system on the broker as an administrator, before its services start: every user
/// of ``BrokerGrants/all(exchange:queuePrefix:)`` with its password and rights, then the whole
/// saga's exchange, work queues and bindings (the services' own users may configure only their
/// own queues). Idempotent: run it again after a catalogue change or a password rotation.
package enum BrokerSetup {
    /// Applies the grants and declares the saga topology; `password` gives each user's secret.
    package static func run(
        amqpAdminURL: String, managementURL: String?, topology: SagaTopology, password: (String) throws -> String
    ) async throws -> [BrokerGrant] {
        let administrator = try BrokerAdministrator(amqpAdminURL: amqpAdminURL, managementURL: managementURL)
        let grants = BrokerGrants.all(exchange: topology.exchange, bindingExchange: topology.bindingExchange, queuePrefix: topology.queuePrefix)
        for grant in grants {
            try await administrator.apply(grant, password: try password(grant.user))
        }
        let connection = try await AMQPConnection.connect(url: amqpAdminURL)
        do {
            try await topology.declare(on: connection)
        } catch {
            await connection.close()
            throw error
        }
        await connection.close()
        return grants
    }

    /// Deletes every user of one system (a test's, when it is done).
    package static func removeUsers(amqpAdminURL: String, managementURL: String?, exchange: String, queuePrefix: String) async throws {
        let administrator = try BrokerAdministrator(amqpAdminURL: amqpAdminURL, managementURL: managementURL)
        for grant in BrokerGrants.all(exchange: exchange, queuePrefix: queuePrefix) { try await administrator.deleteUser(grant.user) }
    }
}
