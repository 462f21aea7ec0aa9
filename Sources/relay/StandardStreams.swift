import Glibc

/// stdin and stderr as bytes, for what `print` (stdout) does not cover.
enum StandardStreams {
    /// Writes `text` to stderr whole: a pipe may take a long message in several writes.
    static func writeError(_ text: String) {
        var text = text
        text.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = Glibc.write(2, bytes.baseAddress! + offset, bytes.count - offset)
                if written < 0, errno == EINTR { continue }
                if written <= 0 { return }
                offset += written
            }
        }
    }

    /// Everything on stdin up to its end (or up to a read error).
    static func readInput() -> [UInt8] {
        var input: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(0, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            if count <= 0 { return input }
            input.append(contentsOf: chunk[..<count])
        }
    }
}
