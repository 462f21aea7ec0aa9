import Foundation
import Testing

@testable import RelayCore
@testable import RelayHTTP

/// What a client sees of the connection itself: keep-alive, pipelining, bodies in pieces, bytes
/// that are not HTTP.
@Suite struct ConnectionTests {
    /// Status lines in the order the answers came (a body ends with no line break, so the next
    /// status line follows it on the same line).
    private func statuses(_ answers: String) -> [String] {
        answers.components(separatedBy: "HTTP/1.1 ").dropFirst().map {
            "HTTP/1.1 " + ($0.components(separatedBy: "\r\n").first ?? "")
        }
    }

    /// What a client reads after sending `bytes` on a new connection, until the server closes it.
    private func exchange(_ bytes: String, with harness: Harness) async throws -> String {
        let connection = try RawConnection(url: harness.relayURL)
        connection.send(bytes)
        return await connection.readToEnd()
    }

    @Test func answersPipelinedRequestsInOrder() async throws {
        try await Harness.run { harness in
            let answers = try await exchange(
                "GET /healthz HTTP/1.1\r\nHost: relay\r\n\r\n"
                    + "GET /nope HTTP/1.1\r\nHost: relay\r\n\r\n"
                    + "GET /healthz HTTP/1.1\r\nHost: relay\r\nConnection: close\r\n\r\n",
                with: harness)
            #expect(statuses(answers) == ["HTTP/1.1 200 OK", "HTTP/1.1 404 Not Found", "HTTP/1.1 200 OK"])
            #expect(answers.contains(#""code":"unknown_url""#))
        }
    }

    @Test func aHeadRequestGetsTheHeadWithoutTheBody() async throws {
        try await Harness.run { harness in
            let answers = try await exchange(
                "HEAD /v1/models HTTP/1.1\r\nHost: relay\r\nAuthorization: Bearer \(Harness.key)\r\n\r\n"
                    + "GET /healthz HTTP/1.1\r\nHost: relay\r\nConnection: close\r\n\r\n",
                with: harness)
            // The 405 to HEAD tells its body's length but sends none: the next answer follows its head.
            #expect(statuses(answers) == ["HTTP/1.1 405 Method Not Allowed", "HTTP/1.1 200 OK"])
            let firstAnswer = answers.components(separatedBy: "HTTP/1.1 200 OK")[0]
            #expect(firstAnswer.hasSuffix("\r\n\r\n"))
            #expect(firstAnswer.lowercased().contains("content-length: "))
            #expect(answers.hasSuffix(#"{"status":"ok"}"#))
        }
    }

    @Test func anHTTP10ClientIsAnsweredAndTheConnectionCloses() async throws {
        try await Harness.run { harness in
            // Without keep-alive, HTTP/1.0 ends at the answer: reading to the end returns.
            let answers = try await exchange("GET /healthz HTTP/1.0\r\nHost: relay\r\n\r\n", with: harness)
            #expect(statuses(answers) == ["HTTP/1.1 200 OK"])
            #expect(answers.hasSuffix(#"{"status":"ok"}"#))
        }
    }

    @Test func aBodyLeftUnreadDoesNotSpillIntoTheNextRequest() async throws {
        try await Harness.run { harness in
            // Refused before its body is read: the body must be skipped, not read as a request.
            let body = #"{"model":"chat","messages":[]}"#
            let answers = try await exchange(
                "POST /v1/chat/completions HTTP/1.1\r\nHost: relay\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
                    + "GET /healthz HTTP/1.1\r\nHost: relay\r\nConnection: close\r\n\r\n",
                with: harness)
            #expect(statuses(answers) == ["HTTP/1.1 401 Unauthorized", "HTTP/1.1 200 OK"])
            #expect(harness.stub.requests.isEmpty)
        }
    }

    @Test func readsABodyThatArrivesInPieces() async throws {
        try await Harness.run { harness in
            let connection = try RawConnection(url: harness.relayURL)
            let body = #"{"model":"chat","messages":[{"role":"user","content":"hi"}]}"#
            let split = body.index(body.startIndex, offsetBy: 20)
            connection.send(
                "POST /v1/chat/completions HTTP/1.1\r\nHost: relay\r\nAuthorization: Bearer \(Harness.key)\r\n"
                    + "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n"
                    + body[..<split]
            )
            try await Task.sleep(for: .milliseconds(100))
            connection.send(String(body[split...]))
            let answers = await connection.readToEnd()
            #expect(statuses(answers) == ["HTTP/1.1 200 OK"])
            #expect(answers.contains(#""model":"chat""#))
            #expect(harness.stub.requests.count == 1)
        }
    }

    @Test func aChunkedBodyOverTheLimitThatArrivedWholeIs413() async throws {
        // No Content-Length to refuse it by: the body is measured once it is there.
        try await Harness.run { harness in
            let body = #"{"model":"chat","pad":""# + String(repeating: "x", count: 5000) + #""}"#
            let chunk = String(body.utf8.count, radix: 16) + "\r\n" + body + "\r\n0\r\n\r\n"
            let answer = try await exchange(
                "POST /v1/chat/completions HTTP/1.1\r\nHost: relay\r\nAuthorization: Bearer \(Harness.key)\r\n"
                    + "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n" + chunk,
                with: harness)
            #expect(statuses(answer) == ["HTTP/1.1 413 Content Too Large"])
            #expect(answer.contains(#""code":"request_too_large""#))
            #expect(harness.stub.requests.isEmpty)
        }
    }

    @Test func aBodyCutShortIsNeverSentUpstream() async throws {
        try await Harness.run { harness in
            let connection = try RawConnection(url: harness.relayURL)
            connection.send(
                "POST /v1/chat/completions HTTP/1.1\r\nHost: relay\r\nAuthorization: Bearer \(Harness.key)\r\n"
                    + "Content-Length: 100\r\n\r\n" + #"{"model":"chat","#
            )
            connection.closeOutput()
            _ = await connection.readToEnd()
            let lines = try await harness.lines.waitForAccessLines(1)
            #expect(lines.count == 1)
            #expect(harness.stub.requests.isEmpty)
        }
    }

    @Test func bytesThatAreNotHTTPGetAnOpenAIShaped400AndTheConnectionCloses() async throws {
        try await Harness.run { harness in
            let answer = try await exchange("HELLO THERE\r\n\r\n", with: harness)
            #expect(statuses(answer) == ["HTTP/1.1 400 Bad Request"])
            #expect(answer.lowercased().contains("connection: close"))
            #expect(answer.hasSuffix(#""type":"invalid_request_error","param":null,"code":null}}"#))
        }
    }

    @Test func aRequestFramedTwoWaysGetsA400AndNothingAfterItIsRead() async throws {
        try await Harness.run { harness in
            // Read by its Content-Length, the body would hide a second request from a proxy in front.
            let smuggled = "GET /healthz HTTP/1.1\r\nHost: relay\r\n\r\n"
            let answer = try await exchange(
                "POST /v1/chat/completions HTTP/1.1\r\nHost: relay\r\nContent-Length: 43\r\n"
                    + "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + smuggled,
                with: harness)
            #expect(statuses(answer) == ["HTTP/1.1 400 Bad Request"])
            #expect(answer.lowercased().contains("connection: close"))
        }
    }

    @Test func everyAnswerIsDated() async throws {
        try await Harness.run { harness in
            let answer = try await harness.send("/healthz", method: .GET)
            let date = try #require(answer.headers.first(name: "date"))
            let parser = DateFormatter()
            parser.locale = Locale(identifier: "en_US_POSIX")
            parser.timeZone = TimeZone(identifier: "GMT")
            parser.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
            let sent = try #require(parser.date(from: date))
            #expect(abs(sent.timeIntervalSinceNow) < 5)
        }
    }

    @Test func datesAreIMFFixdate() {
        #expect(HTTPDate.format(epochSeconds: 784_111_777) == "Sun, 06 Nov 1994 08:49:37 GMT")
        #expect(HTTPDate.format(epochSeconds: 0) == "Thu, 01 Jan 1970 00:00:00 GMT")
        #expect(HTTPDate.format(epochSeconds: 1_798_761_599) == "Thu, 31 Dec 2026 23:59:59 GMT")
    }
}
