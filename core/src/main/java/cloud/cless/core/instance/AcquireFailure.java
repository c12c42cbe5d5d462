package cloud.cless.core.instance;

/**
 * No instance could be had for a request; {@link #reason()} says why, {@link #getMessage()} says what, and
 * {@link #logged()} whether cless logged it already.
 */
public class AcquireFailure extends RuntimeException {

    /** Why acquiring failed; the proxy maps each to a status. */
    public enum Reason {
        /** The container could not be created or started (image missing, engine refused). */
        START_FAILED,
        /** The container did not become ready within the service's startup timeout. */
        STARTUP_TIMEOUT,
        /** The engine is unreachable, or the service is at capacity and the wait queue is full or timed out. */
        UNAVAILABLE,
        /** The service was deleted after the request was routed to it (404). */
        NOT_FOUND
    }

    private final Reason reason;
    private final boolean logged;

    /**
     * @param logged true when the lifecycle logged this failure already, once for every request it fails (a failed
     *               cold start, an engine outage): whoever answers the request logs its own line at debug only
     */
    public AcquireFailure(Reason reason, String message, Throwable cause, boolean logged) {
        super(message, cause, false, false);
        this.reason = reason;
        this.logged = logged;
    }

    public AcquireFailure(Reason reason, String message, Throwable cause) {
        this(reason, message, cause, false);
    }

    public AcquireFailure(Reason reason, String message) {
        this(reason, message, null, false);
    }

    public Reason reason() {
        return reason;
    }

    /** True when cless logged this failure where it happened; the per-request line then belongs at debug. */
    public boolean logged() {
        return logged;
    }
}
