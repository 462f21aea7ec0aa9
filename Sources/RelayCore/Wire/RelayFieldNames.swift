import HTTPTypes

/// The field names Relay reads or writes that swift-http-types does not name.
extension HTTPField.Name {
    static let xRequestID = Self("x-request-id")!
    static let xRelayBackend = Self("x-relay-backend")!
    static let xShouldRetry = Self("x-should-retry")!
    static let traceparent = Self("traceparent")!
    static let tracestate = Self("tracestate")!
    static let xForwardedFor = Self("x-forwarded-for")!
    /// A client's conversation, for `balance: affinity`.
    static let xSessionID = Self("x-session-id")!
}
