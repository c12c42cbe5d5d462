package cloud.cless.core.instance;

import java.util.ArrayList;
import java.util.List;

/**
 * What a {@link ServicePool} decided under its lock and the manager carries out after releasing it: completing
 * promises, starting, pausing and removing containers, creating
 * and discarding spares. Keeps the locked sections short and free of outside calls.
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
    /** Spares to create, and spares no longer wanted whose containers go once they exist. */
    final List<Spare> spareCreates = new ArrayList<>();
    final List<Spare> spareDiscards = new ArrayList<>();
    /** Idle instances to pause, and paused instances to unpause for their waiters. */
    final List<Instance> pauses = new ArrayList<>();
    final List<Instance> resumes = new ArrayList<>();
    /** The pool may be left without a spare: the manager replenishes it when containers may be created. */
    boolean spareWanted;
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

    void createSpare(Spare spare) {
        spareCreates.add(spare);
    }

    void discardSpare(Spare spare) {
        spareDiscards.add(spare);
    }

    void pause(Instance instance) {
        pauses.add(instance);
    }

    void resume(Instance instance) {
        resumes.add(instance);
    }

    void queued(Waiter waiter) {
        queued.add(waiter);
    }

    void queueFull(Waiter waiter, AcquireFailure failure) {
        fail(waiter, failure);
        queueFull++;
    }
}
