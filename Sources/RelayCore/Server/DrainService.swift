import Logging
import ServiceLifecycle

/// The first service told to shut down: it turns `/readyz` to 503 and waits `drain_delay_s`
/// while the server still accepts, so load balancers stop sending before the listener closes.
struct DrainService: Service {
    let readiness: Readiness
    let drainDelay: Double
    let logger: Logger

    package func run() async throws {
        try? await gracefulShutdown()
        readiness.startDraining()
        logger.info("draining", metadata: ["drain_delay_s": .stringConvertible(drainDelay)])
        // Cancellation (a second signal, or the grace period running out) cuts the wait short.
        try? await Task.sleep(for: .seconds(drainDelay))
    }
}
