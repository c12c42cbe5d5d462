package cloud.cless.core.service;

import java.util.Locale;

/** What happens to an instance that stayed idle for the service's idle timeout. */
public enum IdleAction {
    /** Stop and remove the container; the next connection cold-starts a new one. */
    STOP,
    /** Pause the container; the next connection unpauses it. */
    PAUSE;

    /** The lower-case name used in the admin API and the store. */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses {@code stop} or {@code pause}; null for anything else. */
    public static IdleAction fromWireName(String value) {
        for (IdleAction action : values()) {
            if (action.wireName().equals(value)) {
                return action;
            }
        }
        return null;
    }
}
