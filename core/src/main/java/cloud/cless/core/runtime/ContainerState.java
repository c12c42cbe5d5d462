package cloud.cless.core.runtime;

import java.util.Locale;

/** Where a container is in the engine's own life cycle. */
public enum ContainerState {
    /** Created, never started (or started and removed from under it): holds a port binding, nothing runs. */
    CREATED,
    RUNNING,
    /** Frozen: keeps its memory and its published port. */
    PAUSED,
    RESTARTING,
    REMOVING,
    /** Its main process ended. */
    EXITED,
    /** The engine failed to remove or stop it. */
    DEAD,
    /** A state this version of cless does not know. */
    UNKNOWN;

    /** The state for the engine's word ({@code running}, {@code paused}, ...). */
    public static ContainerState of(String engineWord) {
        if (engineWord == null) {
            return UNKNOWN;
        }
        try {
            return valueOf(engineWord.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException unknown) {
            return UNKNOWN;
        }
    }

    /** Running or paused: its app is (or, once unpaused, will be) listening on its port. */
    public boolean isUp() {
        return this == RUNNING || this == PAUSED;
    }
}
