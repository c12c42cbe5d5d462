package cloud.cless.core.instance;

/** No instance could be had for a request; {@link #reason()} says why, {@link #getMessage()} says what. */
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

    public AcquireFailure(Reason reason, String message, Throwable cause) {
        super(message, cause, false, false);
        this.reason = reason;
    }

    public AcquireFailure(Reason reason, String message) {
        this(reason, message, null);
    }

    public Reason reason() {
        return reason;
    }
}
