import NIOConcurrencyHelpers

/// What the health checks have learnt about each backend: whether its `health_path` proved wrong
/// (then its API is probed instead), and which warnings were logged, so each is logged once per
/// backend rather than every interval.
///
/// Kept by backend name; a reload that changes a backend's `base_url` or `health_path` starts
/// its notes afresh, so a corrected path is used again and a new mistake is warned about.
final class HealthCheckNotes: Sendable {
    private struct Note {
        var baseURL: String
        var healthPath: String?
        var pathIsWrong = false
        /// 4xx statuses already warned about.
        var warnedStatuses: Set<Int> = []
    }

    private let notes = NIOLockedValueBox<[String: Note]>([:])

    /// The path to ask: `health_path`, or the API once `health_path` proved wrong.
    func probePath(for config: BackendConfig, healthPath: String) -> String {
        withNote(for: config) { $0.pathIsWrong } ? HealthAnswer.apiProbePath(for: config.type) : healthPath
    }

    /// Records that `health_path` answered 404 or 405; `true` the first time (log it then).
    func notePathIsWrong(_ config: BackendConfig) -> Bool {
        withNote(for: config) { note in
            defer { note.pathIsWrong = true }
            return !note.pathIsWrong
        }
    }

    /// Records a 4xx answer; `true` the first time this backend answered `status` (log it then).
    func noteRejected(_ config: BackendConfig, status: Int) -> Bool {
        withNote(for: config) { $0.warnedStatuses.insert(status).inserted }
    }

    private func withNote<Result>(for config: BackendConfig, _ body: (inout Note) -> Result) -> Result {
        notes.withLockedValue { notes in
            var note = notes[config.name] ?? Note(baseURL: config.baseURL, healthPath: config.healthPath)
            if note.baseURL != config.baseURL || note.healthPath != config.healthPath {
                note = Note(baseURL: config.baseURL, healthPath: config.healthPath)
            }
            let result = body(&note)
            notes[config.name] = note
            return result
        }
    }
}
