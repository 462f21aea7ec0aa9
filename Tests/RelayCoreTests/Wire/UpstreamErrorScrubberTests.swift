import Testing

@testable import RelayCore
@testable import RelayWire

/// A backend's error text as the client reads it: no upstream model name in any case, no
/// internal URL or path.
struct UpstreamErrorScrubberTests {
    private func scrub(_ text: String, model: String = "Qwen2.5-7B-Instruct", alias: String = "chat") -> String {
        UpstreamErrorScrubber.scrub(text, upstreamModel: model, alias: alias)
    }

    @Test func theModelBecomesTheAliasInAnyCase() {
        #expect(scrub("model qwen2.5-7b-instruct and QWEN2.5-7B-INSTRUCT") == "model chat and chat")
    }

    @Test func urlsAndAbsolutePathsAreRedacted() {
        #expect(
            scrub("see http://10.0.0.5:8000/v1/models, or https://gpu-7.internal/x?y=1 now")
                == "see [redacted], or [redacted] now")
        #expect(scrub("no file /opt/models/llama/config.json here") == "no file [redacted] here")
        #expect(scrub("cache at ~/.cache/huggingface/hub") == "cache at [redacted]")
        #expect(scrub(#"bad C:\models\llama\weights.bin"#) == "bad [redacted]")
    }

    @Test func modelNamesWithSlashesAndPlainWordsStay() {
        #expect(
            scrub("meta-llama/Llama-3 does not support tools", model: "qwen")
                == "meta-llama/Llama-3 does not support tools")
        #expect(
            scrub("max_tokens must be at most 4096 (got 5000/s)", model: "qwen")
                == "max_tokens must be at most 4096 (got 5000/s)")
    }

    @Test func aModelServedUnderAPathBecomesTheAliasNotRedacted() {
        #expect(
            scrub("model /models/llama-3 is busy", model: "/models/llama-3", alias: "llama") == "model llama is busy")
    }

    @Test func aPathThatNamesTheModelIsRedactedWhole() {
        #expect(scrub("no /opt/models/QWEN2.5-7B-Instruct/config.json.") == "no [redacted].")
    }

    @Test func anAliasEqualToTheModelIsLeftAlone() {
        #expect(scrub("Chat failed", model: "chat", alias: "chat") == "Chat failed")
    }
}
