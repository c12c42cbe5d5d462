package cloud.cless.core.instance;

import cloud.cless.core.service.ScalingSettings;
import java.util.List;
import java.util.function.ToIntFunction;

/** Which instance a new request goes to: pure decisions over what the caller reads, unit-tested on their own. */
final class Placement {

    private Placement() {
    }

    /**
     * The ready instance with the fewest in-flight requests among those with room for one more, or null.
     *
     * @param load in-flight requests of a candidate, or a negative number when it takes no leases
     */
    static <T> T leastLoaded(T[] ready, ToIntFunction<T> load, ScalingSettings scaling) {
        T best = null;
        int bestLoad = Integer.MAX_VALUE;
        for (T candidate : ready) {
            int inFlight = load.applyAsInt(candidate);
            if (inFlight >= 0 && inFlight < bestLoad && scaling.hasRoom(inFlight)) {
                best = candidate;
                bestLoad = inFlight;
            }
        }
        return best;
    }

    /**
     * The first instance coming up (starting or resuming) that has room for another waiting request, or null: a
     * cold start is shared by as many requests as one instance takes.
     *
     * @param waiting requests already waiting for a candidate
     */
    static <T> T comingUpWithRoom(List<T> comingUp, ToIntFunction<T> waiting, ScalingSettings scaling) {
        for (T candidate : comingUp) {
            if (scaling.hasRoom(waiting.applyAsInt(candidate))) {
                return candidate;
            }
        }
        return null;
    }
}
