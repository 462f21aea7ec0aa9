import HTTPTypes
import Testing

@testable import RelayCore

struct HTTPFieldsValueTests {
    @Test func readsOneFieldAndJoinsSeveralAsTheSubscriptDoes() {
        var fields: HTTPFields = [.authorization: "Bearer a", .contentType: "application/json"]
        #expect(fields.value(.authorization) == "Bearer a")
        #expect(fields.value(.xForwardedFor) == nil)
        fields.append(HTTPField(name: .xForwardedFor, value: "192.0.2.1"))
        fields.append(HTTPField(name: .xForwardedFor, value: "198.51.100.7"))
        #expect(fields.value(.xForwardedFor) == "192.0.2.1, 198.51.100.7")
        #expect(fields.value(.xForwardedFor) == fields[.xForwardedFor])
    }
}
