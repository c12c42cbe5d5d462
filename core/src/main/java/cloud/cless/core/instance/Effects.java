package cloud.cless.core.instance;

import java.util.ArrayList;
import java.util.List;

/**
 * What a {@link ServicePool} decided under its lock and the manager carries out after releasing it: completing
 * promises, starting and removing containers. Keeps the locked sections short and free of outside calls.
 */
final class Effects {
    record Grant(Instance instance, Waiter waiter) {
    }

    record Failure(Waiter waiter, AcquireFailure failure) {
    }

    record Retire(Instance instance, boolean graceful, String reason) {
    }

    final List<Grant> grants = new ArrayList<>();
    final List<Failure> failures = new ArrayList<>();
    final List<Instance> starts = new ArrayList<>();
    final List<Retire> retires = new ArrayList<>();
    final List<Waiter> queued = new ArrayList<>();
    /** Connections turned away because the service's queue was full. */
    int queueFull;

    void grant(Instance instance, Waiter waiter) {
        grants.add(new Grant(instance, waiter));
    }

    void fail(Waiter waiter, AcquireFailure failure) {
        failures.add(new Failure(waiter, failure));
    }

    void start(Instance instance) {
        starts.add(instance);
    }

    void retire(Instance instance, boolean graceful, String reason) {
        retires.add(new Retire(instance, graceful, reason));
    }

    void queued(Waiter waiter) {
        queued.add(waiter);
    }

    void queueFull(Waiter waiter, AcquireFailure failure) {
        fail(waiter, failure);
        queueFull++;
    }
}
