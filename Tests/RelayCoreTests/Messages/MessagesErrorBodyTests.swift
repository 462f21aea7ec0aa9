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

    @Test(arguments: [
        (400, "invalid_request_error"), (401, "authentication_error"), (402, "billing_error"),
        (403, "permission_error"), (404, "not_found_error"), (408, "timeout_error"), (413, "request_too_large"),
        (422, "invalid_request_error"), (429, "rate_limit_error"), (500, "api_error"), (502, "api_error"),
        (503, "overloaded_error"), (504, "timeout_error"), (529, "overloaded_error"), (599, "api_error"),
    ])
    func statusesMapToAnthropicsTypes(_ status: Int, _ type: String) {
        #expect(MessagesErrorBody.type(forStatus: status) == type)
    }
}
