import ArgumentParser
import RelayCore

/// `relay keys generate` and `relay keys hash`: making API keys and their config hashes.
struct Keys: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Make API keys and the hashes the config stores for them.",
        subcommands: [GenerateKey.self, HashKey.self]
    )
}

/// Prints a new key and the `api_keys` entry to paste.
struct GenerateKey: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Print a new random API key and the config lines for it.",
        discussion: """
            The key is "rk-", a 12-character key id and 43 characters (32 random bytes), all \
            base62. The config stores only its hash and id; the key is shown once.
            """
    )

    @Option(help: "The entry's name in the config (default: key-<id>).")
    var name: String?

    @Flag(help: "Store an argon2id hash (m=19456 KiB, t=2, p=1) instead of SHA-256.")
    var argon2 = false

    func run() throws {
        let key = GeneratedAPIKey.generate()
        let hash = argon2 ? try KeyHashText.argon2id(of: key.text) : KeyHashText.sha256(of: key.text)
        print(
            """
            \(key.text)

            # Give the key above to its user; Relay keeps only its hash. Add under api_keys:
              - name: \(YAMLQuoted.string(name ?? "key-\(key.id)"))
                hash: '\(hash)'
                id: \(key.id)
                scopes: []  # the models this key may use, or ["*"] for all
            """
        )
    }
}

/// Hashes one key read from stdin: argv would show it in `ps` and shell history.
struct HashKey: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hash",
        abstract: "Read an API key on stdin and print its config hash.",
        discussion: "One trailing newline is stripped. Example: relay keys hash --argon2 < key.txt"
    )

    @Flag(help: "Print an argon2id PHC string (m=19456 KiB, t=2, p=1) instead of sha256:<hex>.")
    var argon2 = false

    func run() throws {
        var input = StandardStreams.readInput()
        // One newline, "\n" or "\r\n", as `echo` and editors leave it.
        if input.last == UInt8(ascii: "\n") { input.removeLast() }
        if input.last == UInt8(ascii: "\r") { input.removeLast() }
        // Decoding must not repair bad bytes: the hash would then be of a different key.
        guard let key = String(validating: input, as: UTF8.self) else {
            StandardStreams.writeError("relay keys hash: the key is not valid UTF-8\n")
            throw ExitCode.failure
        }
        if let problem = KeyHashText.problem(with: key) {
            StandardStreams.writeError("relay keys hash: \(problem)\n")
            throw ExitCode.failure
        }
        print(argon2 ? try KeyHashText.argon2id(of: key) : KeyHashText.sha256(of: key))
    }
}

/// A YAML double-quoted scalar, so any name pastes safely.
enum YAMLQuoted {
    static func string(_ text: String) -> String {
        let escaped = text.unicodeScalars.map { scalar -> String in
            switch scalar {
            case "\"": "\\\""
            case "\\": "\\\\"
            case _ where scalar.value < 0x20: "\\x" + (scalar.value < 16 ? "0" : "") + String(scalar.value, radix: 16)
            default: String(scalar)
            }
        }
        return "\"" + escaped.joined() + "\""
    }
}
