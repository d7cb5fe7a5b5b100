import Testing

@Test func placeholderAMQPTests() { #expect(Bool(true)) }
