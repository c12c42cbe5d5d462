package cloud.cless.core.instance;

import cloud.cless.core.port.PortsExhaustedException;
import cloud.cless.core.runtime.RuntimeFailure;
import cloud.cless.core.service.ResolvedService;
import java.util.concurrent.CancellationException;
import java.util.concurrent.TimeoutException;

/** Maps whatever ended a start to what its waiting requests are told; the cold start logs it, once. */
final class StartFailures {

    private StartFailures() {
    }

    static AcquireFailure of(Instance instance, ResolvedService spec, Throwable error) {
        Throwable cause = Failures.unwrap(error);
        String service = "service " + instance.service + ": ";
        String image = instance.template.image();
        if (cause instanceof AcquireFailure failure) {
            return failure;
        }
        if (RuntimeFailure.is(cause, RuntimeFailure.Kind.ENGINE_UNAVAILABLE)) {
            return logged(AcquireFailure.Reason.UNAVAILABLE, service + "container engine unavailable: "
                    + cause.getMessage(), cause);
        }
        if (cause instanceof RuntimeFailure) {
            return logged(AcquireFailure.Reason.START_FAILED, service + "could not start image " + image + ": "
                    + cause.getMessage(), cause);
        }
        if (cause instanceof TimeoutException) {
            return logged(AcquireFailure.Reason.STARTUP_TIMEOUT, service + "container " + instance.containerName()
                    + " not ready within " + spec.startupTimeout().toSeconds() + " s", cause);
        }
        if (instance.exited) {
            return logged(AcquireFailure.Reason.START_FAILED, service + "container " + instance.containerName()
                    + " of image " + image + " exited while starting", cause);
        }
        if (cause instanceof CancellationException) {
            return logged(AcquireFailure.Reason.UNAVAILABLE, service + "cless is shutting down", cause);
        }
        if (cause instanceof PortsExhaustedException) {
            return logged(AcquireFailure.Reason.UNAVAILABLE, service + "no free host port: " + cause.getMessage(),
                    cause);
        }
        return logged(AcquireFailure.Reason.START_FAILED, service + "could not start image " + image + ": " + cause,
                cause);
    }

    /** The engine is known to be down: the start was not even tried. The outage itself was logged once. */
    static AcquireFailure engineDown(String service, RuntimeFailure down) {
        return logged(AcquireFailure.Reason.UNAVAILABLE, "service " + service + ": container engine unavailable: "
                + down.getMessage(), down);
    }

    /** The {@link StartGate} is closed: the start was not tried. Whoever closed it logged why. */
    static AcquireFailure refused(String service, String why) {
        return logged(AcquireFailure.Reason.UNAVAILABLE, "service " + service + ": " + why, null);
    }

    private static AcquireFailure logged(AcquireFailure.Reason reason, String message, Throwable cause) {
        return new AcquireFailure(reason, message, cause, true);
    }
}
