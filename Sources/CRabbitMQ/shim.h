#ifndef CRABBITMQ_SHIM_H
#define CRABBITMQ_SHIM_H

#include <amqp.h>
#include <amqp_tcp_socket.h>
#include <amqp_framing.h>

/// amqp_login_with_properties is variadic, which Swift cannot call: this is its PLAIN form.
/// `properties` are the client properties shown by the broker (for example connection_name).
static inline amqp_rpc_reply_t crabbitmq_login_plain(amqp_connection_state_t state,
                                                      const char *vhost,
                                                      int channel_max,
                                                      int frame_max,
                                                      int heartbeat,
                                                      const amqp_table_t *properties,
                                                      const char *user,
                                                      const char *password) {
    return amqp_login_with_properties(state, vhost, channel_max, frame_max, heartbeat,
                                      properties, AMQP_SASL_METHOD_PLAIN, user, password);
}

#endif
