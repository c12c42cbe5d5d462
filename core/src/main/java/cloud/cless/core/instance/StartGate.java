package cloud.cless.core.instance;

/**
 * Consulted before the lifecycle starts an instance (a cold start, a top-up to {@code min_instances}, a spare):
 * whether starts may go now. A closed gate fails the requests that wait for a start with
 * {@link AcquireFailure.Reason#UNAVAILABLE} (503 + Retry-After) and the message it gives, while warm instances
 * keep serving. Called on event loops for every start: it must be cheap and never block.
 */
@FunctionalInterface
public interface StartGate {
    /** Starts always go: one host, or instances that belong to this replica alone. */
    StartGate OPEN = () -> null;

    /**
     * Why no instance may be started now, for the requests that wait ("the shared database ... is unreachable");
     * null while starts may go. Whoever closes the gate logs why, once; the lifecycle does not log each refusal.
     */
    String refusal();
}
