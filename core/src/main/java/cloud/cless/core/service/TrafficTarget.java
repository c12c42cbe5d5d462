package cloud.cless.core.service;

import java.util.List;

/**
 * One entry of a service's traffic: a share of its requests for a named revision or for whichever revision is
 * the latest, and optionally a tag that reaches that revision on its own host whatever the percent.
 *
 * @param revision a revision name ({@code hello-00001}), or null with {@code latest}
 * @param latest   true for the latest revision (it follows each new one)
 * @param percent  share of the service's requests, 0-100
 * @param tag      a DNS label, reachable at {@code <tag>--<service host>}; null for none
 */
public record TrafficTarget(String revision, boolean latest, int percent, String tag) {

    /** What every service gets unless it says otherwise: all requests to the latest revision. */
    public static final List<TrafficTarget> DEFAULT = List.of(latest(100));

    public static TrafficTarget latest(int percent) {
        return new TrafficTarget(null, true, percent, null);
    }

    public static TrafficTarget to(String revision, int percent) {
        return new TrafficTarget(revision, false, percent, null);
    }

    public TrafficTarget withTag(String tag) {
        return new TrafficTarget(revision, latest, percent, tag);
    }
}
