package cloud.cless.core.cluster;

import cloud.cless.core.service.ScalingSettings;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The leader's decisions of one round, per revision: the instances the cluster's requests in flight need (the
 * scale-up target), and whether it may scale to zero ({@link ScaleToZeroPolicy}). Pure: the reports, the
 * revisions' settings and what the previous round saw go in, the plan comes out.
 *
 * <p>A revision no live replica reports has no request anywhere, but it may be one whose first cold start is under
 * way and not reported yet (reports come once a second): it may scale to zero only once the leader has seen it
 * unreported for its whole idle timeout. A new leader, which has seen nothing yet, waits that long too.
 */
public final class ScalePlanner {

    private ScalePlanner() {
    }

    /**
     * @param revisions the revisions to decide for, with their settings
     * @param unreportedSince what the previous round's plan returned (empty in a leader's first round)
     */
    public static ScalePlan plan(ClusterView view, Map<String, ScalingSettings> revisions,
                                 Map<String, Instant> unreportedSince) {
        List<RevisionScale> decisions = new ArrayList<>(revisions.size());
        Map<String, Instant> stillUnreported = new HashMap<>();
        for (Map.Entry<String, ScalingSettings> entry : new TreeMap<>(revisions).entrySet()) {
            String revision = entry.getKey();
            ScalingSettings scaling = entry.getValue();
            int inFlight = view.revision(revision).map(RevisionLoad::inFlight).orElse(0);
            Instant unreported = null;
            if (view.revision(revision).isEmpty()) {
                unreported = unreportedSince.getOrDefault(revision, view.now());
                stillUnreported.put(revision, unreported);
            }
            decisions.add(new RevisionScale(revision, inFlight, target(scaling, inFlight),
                    toZero(view, revision, scaling, unreported)));
        }
        return new ScalePlan(view.now(), decisions, stillUnreported);
    }

    /** The instances {@code inFlight} requests need under {@code scaling}, within its minimum and maximum. */
    static int target(ScalingSettings scaling, int inFlight) {
        int needed = scaling.concurrency() > 0 ? (inFlight + scaling.concurrency() - 1) / scaling.concurrency()
                : inFlight > 0 ? 1 : 0;
        return Math.min(Math.max(needed, scaling.minInstances()), scaling.maxInstances());
    }

    private static ScaleToZeroDecision toZero(ClusterView view, String revision, ScalingSettings scaling,
                                              Instant unreportedSince) {
        if (scaling.minInstances() > 0) {
            return ScaleToZeroDecision.refuse(revision + " keeps min_instances " + scaling.minInstances());
        }
        ScaleToZeroDecision byReports = ScaleToZeroPolicy.decide(view, revision, scaling.idleTimeout());
        if (!byReports.allowed() || unreportedSince == null) {
            return byReports;
        }
        Duration unreported = Duration.between(unreportedSince, view.now());
        if (unreported.compareTo(scaling.idleTimeout()) < 0) {
            return ScaleToZeroDecision.refuse("no live replica has reported " + revision + " for "
                    + unreported.toSeconds() + " s: waiting for its idle timeout (" + scaling.idleTimeout().toSeconds()
                    + " s), a first start may be under way");
        }
        return ScaleToZeroDecision.allow("no live replica has reported " + revision + " for at least "
                + scaling.idleTimeout().toSeconds() + " s");
    }
}
