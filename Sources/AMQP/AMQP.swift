/// Placeholder while the AMQP client is written.
enum AMQPPlaceholder {}
