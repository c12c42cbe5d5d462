package cloud.cless.core.cluster;

import java.util.function.BooleanSupplier;

/**
 * Carries the leader's scale decisions out on the revisions' instances. What that means depends on the runtime:
 * with instances every replica shares (Swarm services) it sets their counts; with instances of each replica's own
 * (the docker runtime) there is nothing for the leader to do ({@link #PER_REPLICA}).
 */
public interface ClusterScaler {

    /**
     * With the docker runtime each replica runs its own containers on its own engine and scales them itself: it
     * starts one when a request needs it and stops those idle for their idle timeout, from its own requests. No
     * other replica's load can keep them up or take them down, so the leader's decisions are only shown
     * ({@code GET /cluster}), never carried out.
     */
    ClusterScaler PER_REPLICA = new ClusterScaler() {
        @Override
        public void apply(ScalePlan plan, BooleanSupplier stillLeading) {
        }

        @Override
        public String toString() {
            return "none: each replica scales its own containers (docker runtime)";
        }
    };

    /**
     * Carries out one round's {@code plan}, on the leader's thread, once a round: raise a revision's instance
     * count to its {@link RevisionScale#target() target}, lower it to zero only where
     * {@link RevisionScale#toZero() allowed}. Must not block for long (engine calls go to the runtime's executors);
     * a write already under way when the next round comes may be skipped. Stop writing as soon as
     * {@code stillLeading} says false: another replica may lead already. Since a leader may learn of its loss up to
     * one election interval late, every write must be safe to repeat and to race with another's (Swarm's version
     * index makes a scale write so).
     */
    void apply(ScalePlan plan, BooleanSupplier stillLeading);

    /** This replica no longer leads (or cless stops): abandon what is under way. On the leader's thread. */
    default void leadershipLost() {
    }
}
