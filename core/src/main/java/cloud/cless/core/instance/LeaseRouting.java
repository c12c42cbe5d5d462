package cloud.cless.core.instance;

import cloud.cless.core.service.RegisteredService;
import cloud.cless.core.service.Revision;
import cloud.cless.core.upstream.UpstreamInstances;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.BooleanSupplier;

/**
 * Takes an acquire to the pool of the revision that serves it now ({@link RevisionSelection}): a lease on a ready
 * instance with room without a lock, else the pool decides (join a start, resume, start, queue). A request that a
 * pool hands back because its revision stopped serving meanwhile comes back here and is placed by the same rules,
 * so it is never served by a revision that no longer serves, and never revives a deleted service.
 */
final class LeaseRouting {
    /** Placements of one request at most: each move follows a change of the traffic, which is rare. */
    private static final int MAX_PLACEMENTS = 8;

    private final ServiceDirectory services;
    private final Pools pools;
    private final UpstreamInstances upstreams;
    private final EffectRunner runner;
    private final BooleanSupplier shuttingDown;

    LeaseRouting(ServiceDirectory services, Pools pools, UpstreamInstances upstreams, EffectRunner runner,
                 BooleanSupplier shuttingDown) {
        this.services = services;
        this.pools = pools;
        this.upstreams = upstreams;
        this.runner = runner;
        this.shuttingDown = shuttingDown;
    }

    /**
     * @param service the service the request was routed to
     * @param routed  the revision it was routed to, or null to let the service's traffic choose now
     * @param tag     the tag whose host it came on, or null
     */
    Future<InstanceLease> acquire(String service, String routed, String tag, EventLoop loop) {
        if (shuttingDown.getAsBoolean()) {
            return loop.newFailedFuture(Admission.shuttingDown(service));
        }
        RegisteredService current = services.service(service);
        if (current == null) {
            return loop.newFailedFuture(deleted(service));
        }
        Revision revision = RevisionSelection.select(current, routed, tag, ThreadLocalRandom.current());
        if (revision == null) {
            return loop.newFailedFuture(tagGone(service, tag));
        }
        if (revision.spec().isUpstream()) {
            return upstreams.acquire(revision, loop);
        }
        ServicePool pool = pools.get(revision.name());
        InFlight epoch = pool == null ? null : pool.tryLease();
        if (epoch != null) {
            return loop.newSucceededFuture(new ContainerLease(pool, epoch, -1, runner));
        }
        Waiter waiter = new Waiter(loop, service, tag);
        place(waiter, revision);
        if (!waiter.promise.isDone()) {
            waiter.promise.addListener(f -> {
                ServicePool in = waiter.pool;
                if (f.isCancelled() && in != null) {
                    runner.decide(in, fx -> in.abandoned(waiter, fx));
                }
            });
        }
        return waiter.promise;
    }

    /** A pool handed {@code waiter} back (its revision serves no more): placed by the service's traffic now. */
    void readmit(Waiter waiter) {
        if (waiter.promise.isDone()) {
            return;
        }
        if (waiter.placements >= MAX_PLACEMENTS) {
            waiter.promise.tryFailure(new AcquireFailure(AcquireFailure.Reason.UNAVAILABLE, "service "
                    + waiter.service + ": its revisions changed " + MAX_PLACEMENTS + " times while a request waited"));
            return;
        }
        if (shuttingDown.getAsBoolean()) {
            waiter.promise.tryFailure(Admission.shuttingDown(waiter.service));
            return;
        }
        RegisteredService current = services.service(waiter.service);
        Revision revision = current == null ? null
                : RevisionSelection.select(current, null, waiter.tag, ThreadLocalRandom.current());
        if (revision == null) {
            waiter.promise.tryFailure(current == null ? deleted(waiter.service) : tagGone(waiter.service, waiter.tag));
        } else if (revision.spec().isUpstream()) {
            upstreams.acquire(revision, waiter.loop).addListener(f -> {
                if (f.isSuccess()) {
                    waiter.promise.trySuccess((InstanceLease) f.getNow());
                } else {
                    waiter.promise.tryFailure(f.cause());
                }
            });
        } else {
            place(waiter, revision);
        }
    }

    /** Hands {@code waiter} to the pool of {@code revision}; chooses again when the registry changed meanwhile. */
    private void place(Waiter waiter, Revision revision) {
        waiter.placements++;
        ServicePool pool = pools.getOrCreate(revision.service(), revision.name());
        if (pool == null) {
            readmit(waiter); // it serves no more: the registry changed while this request was on its way
            return;
        }
        runner.decide(pool, fx -> pool.acquire(waiter, fx));
    }

    private static AcquireFailure deleted(String service) {
        return new AcquireFailure(AcquireFailure.Reason.NOT_FOUND, "service " + service + " was deleted");
    }

    private static AcquireFailure tagGone(String service, String tag) {
        return new AcquireFailure(AcquireFailure.Reason.NOT_FOUND, "service " + service + " has no tag '" + tag
                + "' any more");
    }
}
