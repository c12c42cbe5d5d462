package cloud.cless.core.instance;

import cloud.cless.core.runtime.RuntimeFailure;
import cloud.cless.core.runtime.swarm.SwarmServiceSpec;
import cloud.cless.core.service.ResolvedService;
import java.net.InetSocketAddress;
import java.util.concurrent.CancellationException;
import java.util.concurrent.TimeoutException;

/**
 * What the requests that waited for a start on a swarm are told, in the swarm's words where it has them (a task
 * rejected for an image its node lacks names both); the start logs it, once. The counterpart of
 * {@link StartFailures} for containers, which it falls back on.
 */
final class SwarmStartFailures {

    private SwarmStartFailures() {
    }

    /**
     * @param instance   the instance that was coming up
     * @param spec       its revision as its pool ran it
     * @param hadTask    whether a task had been found for it (it was probed), or it still waited for one
     * @param shutDown   whether cless was shutting down
     */
    static AcquireFailure of(Instance instance, ResolvedService spec, boolean hadTask, boolean shutDown,
                             Throwable error) {
        Throwable cause = Failures.unwrap(error);
        String prefix = "service " + instance.service + " (revision " + instance.revision + "): ";
        if (cause instanceof TimeoutException) {
            String what = hadTask ? "task " + instance.id + " at " + where(instance) + " did not answer"
                    : "no task of swarm service " + SwarmServiceSpec.nameFor(instance.revision) + " ran";
            return failure(AcquireFailure.Reason.STARTUP_TIMEOUT, prefix + what + " within "
                    + spec.startupTimeout().toSeconds() + " s", cause);
        }
        if (instance.exited) {
            return failure(AcquireFailure.Reason.START_FAILED, prefix + "task " + instance.id + " of image "
                    + instance.template.image() + " ended while starting", cause);
        }
        if (cause instanceof CancellationException && shutDown) {
            return failure(AcquireFailure.Reason.UNAVAILABLE, prefix + "cless is shutting down", cause);
        }
        if (RuntimeFailure.is(cause, RuntimeFailure.Kind.ENGINE_UNAVAILABLE)) {
            return failure(AcquireFailure.Reason.UNAVAILABLE, prefix + "Swarm manager unavailable: "
                    + cause.getMessage(), cause);
        }
        if (RuntimeFailure.is(cause, RuntimeFailure.Kind.IMAGE_NOT_FOUND)) {
            return failure(AcquireFailure.Reason.START_FAILED, prefix + cause.getMessage(), cause);
        }
        if (cause instanceof RuntimeFailure) {
            return failure(AcquireFailure.Reason.START_FAILED, prefix + "could not start image "
                    + instance.template.image() + ": " + cause.getMessage(), cause);
        }
        return StartFailures.of(instance, spec, cause);
    }

    /** The node's address and the task's port, as {@code 10.0.0.12:30001}. */
    static String where(Instance instance) {
        InetSocketAddress address = instance.address();
        return address.getHostString() + ":" + address.getPort();
    }

    private static AcquireFailure failure(AcquireFailure.Reason reason, String message, Throwable cause) {
        return new AcquireFailure(reason, message, cause, true);
    }
}
