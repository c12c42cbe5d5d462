package cloud.cless.core.instance;

import cloud.cless.core.service.RegisteredService;
import cloud.cless.core.service.ResolvedTraffic;
import cloud.cless.core.service.Revision;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * Which revision serves an acquire, by the service's traffic as registered now (the rules of
 * {@link InstanceManager#acquire(cloud.cless.core.service.Route, Revision, io.netty.channel.EventLoop)}). A request
 * may have been routed just before a change of the traffic: the revision it was routed to is kept while it still
 * has a percent; otherwise the traffic chooses again. A request on a tag's host goes wherever the tag points now,
 * and nowhere once the tag is gone. Pure; allocates nothing.
 */
final class RevisionSelection {

    private RevisionSelection() {
    }

    /**
     * @param current the service as registered now
     * @param routed  the revision the request was routed to, or null to let the traffic choose
     * @param tag     the tag whose host the request came on, or null for the service's own host
     * @param random  draws the traffic's choice
     * @return the revision to lease an instance of; null when the request came through a tag that is gone
     */
    static Revision select(RegisteredService current, String routed, String tag, RandomGenerator random) {
        ResolvedTraffic traffic = current.traffic();
        if (tag != null) {
            return traffic.tags().get(tag);
        }
        if (routed != null) {
            List<ResolvedTraffic.Share> shares = traffic.shares();
            for (int i = 0; i < shares.size(); i++) {
                Revision revision = shares.get(i).revision();
                if (revision.name().equals(routed)) {
                    return revision;
                }
            }
        }
        return traffic.chooser().choose(random);
    }
}
