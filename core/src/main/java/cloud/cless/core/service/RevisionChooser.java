package cloud.cless.core.service;

import java.util.List;
import java.util.random.RandomGenerator;

/**
 * Picks the revision of one request by the traffic percents: one draw in {@code [0, 100)} against cumulative
 * weights computed once per traffic change. Allocates nothing per call and is safe to share across threads.
 */
public final class RevisionChooser {
    private final Revision[] revisions;
    /** {@code upTo[i]}: draws below it (and at or above {@code upTo[i - 1]}) pick {@code revisions[i]}. */
    private final int[] upTo;

    /** @param shares the revisions with a percent above 0; the percents add up to 100 */
    RevisionChooser(List<ResolvedTraffic.Share> shares) {
        if (shares.isEmpty()) {
            throw new IllegalArgumentException("traffic must give some revision a percent");
        }
        revisions = new Revision[shares.size()];
        upTo = new int[shares.size()];
        int sum = 0;
        for (int i = 0; i < shares.size(); i++) {
            ResolvedTraffic.Share share = shares.get(i);
            if (share.percent() <= 0) {
                throw new IllegalArgumentException(share.revision().name() + " has no percent to choose by");
            }
            sum += share.percent();
            revisions[i] = share.revision();
            upTo[i] = sum;
        }
        if (sum != ResolvedTraffic.ALL) {
            throw new IllegalArgumentException("traffic percents add up to " + sum + ", not 100");
        }
    }

    /** The revision for one request; {@code random} is asked for one int unless a single revision has it all. */
    public Revision choose(RandomGenerator random) {
        if (revisions.length == 1) {
            return revisions[0];
        }
        int draw = random.nextInt(ResolvedTraffic.ALL);
        int last = revisions.length - 1;
        for (int i = 0; i < last; i++) {
            if (draw < upTo[i]) {
                return revisions[i];
            }
        }
        return revisions[last];
    }
}
