import Testing

@testable import RelayCore

@Suite struct TraceContextTests {
    static let incoming = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

    @Test func continuesAValidTraceWithRelayAsTheParent() {
        let trace = TraceContext(incoming: Self.incoming)
        #expect(trace.continued)
        #expect(trace.traceID == "4bf92f3577b34da6a3ce929d0e0e4736")
        let parts = trace.header.split(separator: "-")
        #expect(parts.count == 4 && parts[0] == "00" && parts[3] == "01")
        #expect(parts[1] == "4bf92f3577b34da6a3ce929d0e0e4736")
        #expect(parts[2].count == 16 && parts[2] != "00f067aa0ba902b7" && parts[2] != "0000000000000000")
        #expect(TraceContext.parse(trace.header) != nil)
    }

    @Test func keepsTheFlagsItKnows() {
        #expect(
            TraceContext(incoming: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00").header.hasSuffix("-00"))
        #expect(
            TraceContext(incoming: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03").header.hasSuffix("-03"))
        // Undefined flag bits are not passed on.
        #expect(
            TraceContext(incoming: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-ff").header.hasSuffix("-03"))
    }

    @Test(arguments: [
        "",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",  // no flags
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01",  // trace id all zero
        "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",  // parent id all zero
        "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",  // uppercase
        "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",  // version ff
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",  // version 00 is 55 long
        "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01",  // not hex
        "00_4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7_01",  // wrong separators
        "0x-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x",  // later version: `-` after flags
        Self.incoming + ", " + Self.incoming,  // two headers, combined
    ])
    func ignoresAnInvalidOne(_ text: String) {
        #expect(TraceContext.parse(text) == nil)
        let trace = TraceContext(incoming: text)
        #expect(!trace.continued)
        #expect(trace.traceID != "4bf92f3577b34da6a3ce929d0e0e4736")
    }

    @Test func readsALaterVersionAndSendsVersion00() {
        let trace = TraceContext(
            incoming: "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-the-future-holds")
        #expect(trace.continued)
        #expect(trace.header.hasPrefix("00-4bf92f3577b34da6a3ce929d0e0e4736-"))
        #expect(trace.header.utf8.count == 55)
    }

    @Test func startsANewSampledTraceWhenNoneCame() {
        let traces = (0..<1000).map { _ in TraceContext(incoming: nil) }
        for trace in traces {
            #expect(!trace.continued)
            #expect(trace.header.hasSuffix("-01"))
            #expect(TraceContext.parse(trace.header) != nil)
        }
        #expect(Set(traces.map(\.traceID)).count == 1000)
        #expect(Set(traces.map { $0.header.split(separator: "-")[2] }).count == 1000)
    }
}
