import Foundation
import Logging
import NIOCore
import NIOPosix
import Testing

@testable import RelayCore
@testable import RelayHTTP
@testable import RelayWire

/// The small pieces the request path relies on to stay cheap, checked for what they produce.
@Suite struct HotPathPiecesTests {
    @Test func workPreferringAnEventLoopRunsOnIt() async {
        let loop = MultiThreadedEventLoopGroup.singleton.any()
        let ranOnLoop = await withTaskExecutorPreference(EventLoopExecutor(loop)) {
            await Task.yield()
            return loop.inEventLoop
        }
        #expect(ranOnLoop)
        let task = Task(executorPreference: EventLoopExecutor(loop)) { loop.inEventLoop }
        #expect(await task.value)
    }

    @Test func randomRequestIDsAreVersion4UUIDs() {
        let ids = (0..<1000).map { _ in UUIDText.random() }
        #expect(Set(ids).count == ids.count)
        for id in ids {
            #expect(UUIDText.isUUID(id))
            #expect(id == id.lowercased())
            let bytes = Array(id.utf8)
            #expect(bytes[14] == UInt8(ascii: "4"))
            #expect([UInt8(ascii: "8"), UInt8(ascii: "9"), UInt8(ascii: "a"), UInt8(ascii: "b")].contains(bytes[19]))
        }
    }

    @Test(arguments: [
        ("123e4567-e89b-12d3-a456-426614174000", true),
        ("123E4567-E89B-12D3-A456-426614174000", true),
        ("123e4567e89b12d3a456426614174000", false),
        ("123e4567-e89b-12d3-a456-42661417400", false),
        ("123e4567-e89b-12d3-a456-42661417400g", false),
        ("123e4567-e89b-12d3-a456-4266141740G0", false),
        ("123e4567-e89b-12d3-a456:426614174000", false),
        ("123e4567-e89b-12d3-a4566-42661417400", false),
        ("123e4567-e89b-12d3-a456-42661417400/", false),
        ("123e4567-e89b-12d3-a456-42661417400@", false),
        ("123e4567-e89b-12d3-a456-42661417400`", false),
        ("123e4567-e89b-12d3-a456-4266141740é", false),
        ("ABCDEF01-abcd-ef01-9999-000000000000", true),
        ("req-1", false),
        ("", false),
    ])
    func uuidShapeIsRecognised(_ text: String, _ expected: Bool) {
        #expect(UUIDText.isUUID(text) == expected)
    }

    @Test func jsonStringsAreEscapedOnlyWhereNeeded() {
        #expect(String(decoding: JSONString.encode("plain text"), as: UTF8.self) == #""plain text""#)
        #expect(
            String(decoding: JSONString.encode("a\"b\\c\nd\u{1}é"), as: UTF8.self) == #""a\"b\\c\nd\u0001é""#)
        var out = Array("x=".utf8)
        JSONString.encode("tab\there", into: &out)
        #expect(String(decoding: out, as: UTF8.self) == #"x="tab\there""#)
    }

    @Test func logLinesWriteIntegersAndTimestampsExactly() throws {
        var line = LogLine(level: .info, message: "m", date: .init(timeIntervalSince1970: 1_732_579_200.25))
        line.add("zero", 0)
        line.add("negative", Int.min)
        line.add("large", Int.max)
        let text = String(decoding: line.render(.json), as: UTF8.self)
        #expect(
            text
                == #"{"ts":"2024-11-26T00:00:00.250Z","level":"info","msg":"m","zero":0,"#
                + #""negative":-9223372036854775808,"large":9223372036854775807}"#
        )
    }
}
