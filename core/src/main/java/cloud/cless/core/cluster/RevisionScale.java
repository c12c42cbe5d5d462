package cloud.cless.core.cluster;

/**
 * The leader's decision for one revision in one round.
 *
 * @param revision the revision ({@code hello-00001}), as the replicas report it
 * @param inFlight its requests in flight (or waiting for an instance) over every live replica
 * @param target the instances those requests need now, {@code ceil(inFlight / concurrency)} (one for any load when
 *     concurrency is unlimited), within {@code [min_instances, max_instances]}: a scaler raises the count to it, and
 *     lowers the count only to zero, and only when {@code toZero} allows
 * @param toZero whether the revision may scale to zero now, and why (or why not)
 */
public record RevisionScale(String revision, int inFlight, int target, ScaleToZeroDecision toZero) {
    public RevisionScale {
        if (inFlight < 0 || target < 0) {
            throw new IllegalArgumentException("a revision's load and target cannot be negative: " + inFlight
                    + ", " + target);
        }
    }
}
