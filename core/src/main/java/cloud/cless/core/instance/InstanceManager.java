package cloud.cless.core.instance;

import cloud.cless.core.service.Revision;
import cloud.cless.core.service.Route;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Hands out instances of services' revisions to requests, starting containers on demand, and stops them again.
 * Each revision has instances of its own.
 */
public interface InstanceManager {

    /**
     * Acquires an instance for one request that routing sent to {@code revision}: {@code route} is what the
     * request's host led to ({@code registry.route(host)}), {@code revision} what it chose
     * ({@code route.revision(random)}), which may be out of date by the time the request gets here. The returned
     * future completes on {@code loop}, with a lease, or with an {@link AcquireFailure}. Never blocks. Cancelling
     * the future (the client left) gives the request's place up at once: it leaves the wait queue and starts
     * nothing more.
     *
     * <p>The revision is checked against the service's traffic as registered now:
     * <ul>
     *   <li>a request on the service's own host keeps {@code revision} while it has a percent of the traffic;
     *       one that lost its percent (the traffic changed after routing) gets the revision the traffic chooses
     *       now;</li>
     *   <li>a request on a tag's host ({@link Route#tagged()}) goes to the revision the tag points at now, which
     *       is {@code revision} unless the tag moved, whatever the percents: it starts that revision if it is cold;
     *       once the tag is gone it fails with {@link AcquireFailure.Reason#NOT_FOUND};</li>
     *   <li>a service deleted after routing fails with {@link AcquireFailure.Reason#NOT_FOUND}.</li>
     * </ul>
     * No instance of a revision that no longer serves (no percent, no tag) is leased or started, and nothing that
     * was deleted comes back. A request that waits (a cold start, the queue) while its revision stops serving is
     * placed again by the same rules.
     */
    Future<InstanceLease> acquire(Route route, Revision revision, EventLoop loop);

    /** The instances of a service as they are now, of every revision (those draining included). */
    List<InstanceInfo> instances(String serviceName);

    /** Adopts or removes the containers left from an earlier run, then starts what must run. */
    CompletableFuture<Void> start();

    /** Lets leased connections finish (up to {@code drain}), then stops and removes every managed container. */
    CompletableFuture<Void> shutdown(Duration drain);
}
