import HTTPTypes

/// The field names Relay reads or writes that swift-http-types does not name.
extension HTTPField.Name {
    package static let xRequestID = Self("x-request-id")!
    package static let xRelayBackend = Self("x-relay-backend")!
    package static let xShouldRetry = Self("x-should-retry")!
    static let traceparent = Self("traceparent")!
    static let tracestate = Self("tracestate")!
    package static let xForwardedFor = Self("x-forwarded-for")!
    /// A client's conversation, for `balance: affinity`.
    package static let xSessionID = Self("x-session-id")!
    /// Where Anthropic's clients send their key (SPEC §8).
    package static let xAPIKey = Self("x-api-key")!
}
