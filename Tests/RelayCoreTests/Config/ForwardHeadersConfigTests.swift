import Testing

@testable import RelayCore

/// A backend's `forward_headers`: extra client headers it is sent, by name or prefix.
struct ForwardHeadersConfigTests {
    @Test func namesAndPrefixesAreKeptLowercased() throws {
        let config = try parseValid(
            """
            backends:
              gpu: {type: vllm, base_url: "http://h", forward_headers: [X-Tenant, "x-route-*"]}
              plain: {type: vllm, base_url: "http://h"}
            models:
              m: {backend: gpu}
            """
        )
        #expect(config.backends["gpu"]?.forwardHeaders == ["x-tenant", "x-route-*"])
        #expect(config.backends["plain"]?.forwardHeaders == [])
    }

    @Test(arguments: ["x_tenant", "'*'", "x-*-y", "x tenant", "''"])
    func aNameThatIsNotAHeaderNameIsReported(_ entry: String) {
        let lines = problemLines(
            "backends:\n  gpu: {type: vllm, base_url: \"http://h\", forward_headers: [\(entry)]}\n"
                + "models:\n  m: {backend: gpu}")
        #expect(lines.count == 1 && lines[0].hasPrefix("backends.gpu.forward_headers[0]"), "\(lines)")
    }
}
