package cloud.cless.core.runtime.swarm;

import java.util.Locale;

/** The states a Swarm task passes through, in the order Swarm moves them; {@link #UNKNOWN} for any other word. */
public enum SwarmTaskState {
    NEW, ALLOCATED, PENDING, ASSIGNED, ACCEPTED, PREPARING, READY, STARTING, RUNNING,
    COMPLETE, SHUTDOWN, FAILED, REJECTED, REMOVE, ORPHANED,
    UNKNOWN;

    /** The state for the engine's word for it ({@code "running"}). */
    public static SwarmTaskState fromApi(String value) {
        if (value == null || value.isBlank()) {
            return UNKNOWN;
        }
        try {
            return valueOf(value.strip().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            return UNKNOWN;
        }
    }

    /** True once the task will never run (again): it finished, was shut down, failed or was rejected. */
    public boolean isTerminal() {
        return compareTo(COMPLETE) >= 0 && this != UNKNOWN;
    }

    /** True when the task ended badly: its container failed, or the node refused to start it. */
    public boolean isFailure() {
        return this == FAILED || this == REJECTED || this == ORPHANED;
    }

    /** The engine's word for this state. */
    public String apiName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
