import AsyncHTTPClient
import Foundation
import Testing

@testable import RelayCore
@testable import RelayWire

@Suite struct AdmissionTests {
    @Test func checksKeyBeforeBodyThenModelThenScope() async throws {
        try await Harness.run { harness in
            let noKey = try await harness.send("/v1/chat/completions", body: "not json", key: nil)
            #expect(noKey.status == 401)
            #expect(noKey.body.contains(#""code":"invalid_api_key""#))
            #expect(try await harness.send("/v1/chat/completions", body: "{}", key: "rk-wrong").status == 401)

            let tooLarge = try await harness.send(
                "/v1/chat/completions",
                body: #"{"model":"chat","pad":""# + String(repeating: "x", count: 5000) + #""}"#
            )
            #expect(tooLarge.status == 413)
            #expect(tooLarge.body.contains(#""code":"request_too_large""#))

            let notJSON = try await harness.send("/v1/chat/completions", body: "{nope")
            #expect(notJSON.status == 400)
            #expect(notJSON.body.contains(#""type":"invalid_request_error""#))

            let duplicate = try await harness.send("/v1/chat/completions", body: #"{"model":"chat","model":"secret"}"#)
            #expect(duplicate.status == 400)

            let unknown = try await harness.send("/v1/chat/completions", body: #"{"model":"nope"}"#)
            #expect(unknown.status == 404)
            #expect(unknown.body.contains(#""code":"model_not_found""#))

            // Outside the key's scopes: answered as missing, so a key learns nothing of it.
            let forbidden = try await harness.send("/v1/chat/completions", body: #"{"model":"secret"}"#)
            #expect(forbidden.status == 404)
            #expect(
                forbidden.body.contains(#""type":"invalid_request_error","param":"model","code":"model_not_found""#))
            #expect(harness.stub.requests.isEmpty)

            let lines = try await harness.lines.waitForAccessLines(7)
            #expect(lines.count == 7)
            #expect(lines[0].contains(#""key":"anonymous","model":"unknown","backend":"none""#))
            #expect(lines.allSatisfy { !$0.contains("rk-wrong") && !$0.contains(Harness.key) })
        }
    }

    @Test func listsExactlyTheModelsTheKeyMayUse() async throws {
        try await Harness.run { harness in
            let (status, headers, body) = try await harness.send("/v1/models", method: .GET)
            #expect(status == 200)
            // Relay's fields, but no overhead: Relay made the answer itself.
            #expect(headers["x-relay-backend"].first == "none")
            #expect(headers["x-request-id"].count == 1 && headers["x-relay-overhead-ms"].isEmpty)
            let list = try JSONScanner.object(in: Array(body.utf8))
            let ids = try #require(list.array("data")).compactMap {
                try JSONScanner.object(in: list.bytes, range: $0).string("id")
            }
            #expect(ids == Harness.testConfig(upstreamPort: 1).models.keys.filter { $0 != "secret" }.sorted())

            let slashed = try await harness.send("/v1/models/org/chat", method: .GET)
            #expect(slashed.status == 200)
            #expect(slashed.body.contains(#""id":"org/chat""#))
            // Outside the key's scopes: answered as missing.
            #expect(try await harness.send("/v1/models/secret", method: .GET).status == 404)
            #expect(try await harness.send("/v1/models/none", method: .GET).status == 404)
            #expect(try await harness.send("/v1/models", method: .GET, key: nil).status == 401)
        }
    }

    @Test func servesHealthAndReadinessWithoutAKey() async throws {
        try await Harness.run { harness in
            let health = try await harness.send("/healthz", method: .GET, key: nil)
            #expect(health.status == 200 && health.body == #"{"status":"ok"}"#)
            let ready = try await harness.send("/readyz", method: .GET, key: nil)
            #expect(ready.status == 200)
            #expect(ready.body.contains(#""local":{"state":"up","in_flight":0}"#))
            #expect(try await harness.send("/nope", method: .GET, key: nil).status == 404)
        }
    }
}
