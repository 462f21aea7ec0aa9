import Testing

@testable import RelayWire

@Suite struct MessagesErrorBodyTests {
    @Test func theBodyIsAnthropicsShape() {
        let body = MessagesErrorBody.bytes(type: "invalid_request_error", message: "messages: \"field\" required")
        #expect(
            MessagesTestSupport.text(body)
                == #"{"type":"error","error":{"type":"invalid_request_error","message":"messages: \"field\" required"}}"#
        )
    }
}
