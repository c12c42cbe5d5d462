package cloud.cless.core.instance;

import cloud.cless.core.service.IdleAction;
import cloud.cless.core.service.ScalingSettings;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * What to reap, pause and start for one service: a pure function of the time, the service's scaling settings and
 * a snapshot of its current instances, in the manner of Knative's autoscaler. The pool carries the decision out
 * (and may find that a request took an idle instance meanwhile).
 */
final class ScalingPolicy {

    /**
     * One instance of the service's current version that takes new requests, as the policy sees it.
     *
     * @param state              where it is in its life
     * @param inFlight           requests in flight on it
     * @param lastActivityMillis when a request last began, ended or relayed bytes
     */
    record Load(InstanceState state, int inFlight, long lastActivityMillis) {
    }

    /**
     * @param idle  positions (in the snapshot) of idle instances to stop, or to pause when {@link #pause}, oldest
     *              first
     * @param pause whether idle instances are paused rather than stopped
     * @param start how many instances to start to keep {@code min_instances}
     */
    record Decision(List<Integer> idle, boolean pause, int start) {
        static final Decision NOTHING = new Decision(List.of(), false, 0);
    }

    private ScalingPolicy() {
    }

    /**
     * @param nowMillis         the time now
     * @param instances         the current version's instances that take (or will take) requests
     * @param mayStart          containers may be created now (reconciled, engine up)
     * @param startsFromMillis  no start before this: a start that failed recently backs off
     */
    static Decision decide(long nowMillis, ScalingSettings scaling, List<Load> instances, boolean mayStart,
                           long startsFromMillis) {
        int live = instances.size();
        int awake = (int) instances.stream().filter(i -> i.state() != InstanceState.PAUSED
                && i.state() != InstanceState.PAUSING).count();
        long idleMillis = scaling.idleTimeout().toMillis();
        List<Integer> idle = new ArrayList<>();
        for (int i = 0; i < instances.size(); i++) {
            Load load = instances.get(i);
            if (load.state() == InstanceState.READY && load.inFlight() == 0
                    && nowMillis - load.lastActivityMillis() >= idleMillis) {
                idle.add(i);
            }
        }
        idle.sort(Comparator.comparingLong(i -> instances.get(i).lastActivityMillis()));
        int keep = Math.min(scaling.minInstances(), scaling.maxInstances());
        List<Integer> chosen = new ArrayList<>();
        for (int index : idle) {
            if (awake <= keep) {
                break;
            }
            chosen.add(index);
            awake--;
        }
        boolean pause = scaling.idleAction() == IdleAction.PAUSE;
        int start = mayStart && nowMillis >= startsFromMillis ? Math.max(0, keep - live) : 0;
        if (chosen.isEmpty() && start == 0) {
            return Decision.NOTHING;
        }
        return new Decision(List.copyOf(chosen), pause, start);
    }
}
