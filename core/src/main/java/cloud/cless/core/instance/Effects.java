package cloud.cless.core.instance;

import java.util.ArrayList;
import java.util.List;

/**
 * What a {@link ServicePool} decided under its lock, for the {@link EffectRunner} to carry out once the lock is
 * released: completing promises, placing requests elsewhere, starting, pausing, resuming and retiring instances,
 * telling leases' holders that an instance takes no more. Keeps the locked sections short and free of outside calls.
 */
final class Effects {
    /** A lease for {@code waiter}, already counted in {@code epoch}. */
    record Grant(Waiter waiter, InFlight epoch, long coldStartWaitMillis) {
    }

    record Failure(Waiter waiter, AcquireFailure failure) {
    }

    /**
     * An instance that left its pool.
     *
     * @param graceful a stop first (it may still finish what it serves), or removed by force
     * @param reaped   the pool let it go because it was idle with more awake than the revision keeps (a scale-down),
     *                 not because it drained, broke or went
     */
    record Retire(Instance instance, boolean graceful, String reason, boolean reaped) {
    }

    final List<Grant> grants = new ArrayList<>();
    final List<Failure> failures = new ArrayList<>();
    final List<Waiter> queued = new ArrayList<>();
    /** Requests the pool no longer serves (its revision stopped serving): placed again by the traffic now. */
    final List<Waiter> redirects = new ArrayList<>();
    final List<Instance> starts = new ArrayList<>();
    final List<Retire> retires = new ArrayList<>();
    final List<Instance> pauses = new ArrayList<>();
    final List<Instance> resumes = new ArrayList<>();
    /** Epochs closed for good: their {@code retired()} stages complete. */
    final List<InFlight> closedEpochs = new ArrayList<>();
    /** Requests turned away because the queue was full. */
    int queueFull;
    /** Requests whose clients left while they waited. */
    int abandoned;

    void grant(Waiter waiter, InFlight epoch, long coldStartWaitMillis) {
        grants.add(new Grant(waiter, epoch, coldStartWaitMillis));
    }

    void fail(Waiter waiter, AcquireFailure failure) {
        failures.add(new Failure(waiter, failure));
    }

    void redirect(Waiter waiter) {
        redirects.add(waiter);
    }

    void queueFull(Waiter waiter, AcquireFailure failure) {
        fail(waiter, failure);
        queueFull++;
    }

    void retire(Instance instance, boolean graceful, String reason, boolean reaped) {
        retires.add(new Retire(instance, graceful, reason, reaped));
    }

    boolean isEmpty() {
        return grants.isEmpty() && failures.isEmpty() && queued.isEmpty() && redirects.isEmpty() && starts.isEmpty()
                && retires.isEmpty() && pauses.isEmpty() && resumes.isEmpty() && closedEpochs.isEmpty()
                && queueFull == 0 && abandoned == 0;
    }
}
