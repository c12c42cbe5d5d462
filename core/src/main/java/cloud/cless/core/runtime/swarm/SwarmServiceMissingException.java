package cloud.cless.core.runtime.swarm;

import cloud.cless.core.runtime.RuntimeFailure;

/** The swarm has no service of that name (never created, or removed meanwhile). */
public final class SwarmServiceMissingException extends RuntimeFailure {
    private final String serviceName;

    public SwarmServiceMissingException(String serviceName, String message, Throwable cause) {
        super(Kind.CONTAINER_FAILED, message, cause);
        this.serviceName = serviceName;
    }

    public String serviceName() {
        return serviceName;
    }
}
