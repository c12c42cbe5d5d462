package cloud.cless.core.instance;

import static org.assertj.core.api.Assertions.assertThat;

import cloud.cless.core.metrics.ClessMetrics;
import cloud.cless.core.service.DefinitionDefaults;
import cloud.cless.core.service.IdleAction;
import cloud.cless.core.service.ResolvedService;
import cloud.cless.core.service.ServiceDefinition;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.EventLoop;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The pool's state machine on its own: decisions in, {@link Effects} out; no threads, engines or sleeps. */
class ServicePoolTest {
    private static final DefinitionDefaults DEFAULTS = new DefinitionDefaults("localhost", 300, 30);
    private static final String REVISION = "hello-00001";

    private final EventLoop loop = new EmbeddedChannel().eventLoop();
    private final MutableClock clock = new MutableClock();
    private final AtomicInteger ids = new AtomicInteger();
    private final ClessMetrics metrics = new ClessMetrics(new SimpleMeterRegistry());

    private static ServiceDefinition.Builder service() {
        return ServiceDefinition.builder("hello").imageName("cless-test/hello").maxInstances(1).concurrency(0)
                .idleTimeoutSeconds(60);
    }

    private static ResolvedService resolved(ServiceDefinition def) {
        return ResolvedService.of(def, REVISION, DEFAULTS);
    }

    private ServicePool pool(ServiceDefinition def, int queueCapacity) {
        return pool(def, Serving.TRAFFIC, queueCapacity);
    }

    private ServicePool pool(ServiceDefinition def, Serving serving, int queueCapacity) {
        return new ServicePool(resolved(def), serving, metrics.revision("hello", REVISION), clock::millis,
                () -> "i" + ids.incrementAndGet(), queueCapacity);
    }

    private Waiter waiter() {
        return new Waiter(loop, "hello", null);
    }

    private Effects acquire(ServicePool pool, Waiter waiter) {
        Effects fx = new Effects();
        pool.acquire(waiter, fx);
        return fx;
    }

    /** A pool with one ready, idle instance. */
    private Instance readyInstance(ServicePool pool) {
        Effects fx = acquire(pool, waiter());
        Instance instance = fx.starts.get(0);
        instance.hostPort = 30_000;
        Effects up = new Effects();
        pool.ready(instance, up);
        up.grants.get(0).epoch().release();
        return instance;
    }

    @Test
    void theFirstRequestStartsAnInstanceAndLaterOnesShareItsStart() {
        ServicePool pool = pool(service().build(), 10);
        Waiter first = waiter();
        Waiter second = waiter();

        Effects started = acquire(pool, first);
        Effects joined = acquire(pool, second);

        assertThat(started.starts).hasSize(1);
        assertThat(joined.starts).isEmpty();
        assertThat(joined.queued).isEmpty();
        Instance instance = started.starts.get(0);
        Effects up = new Effects();
        pool.ready(instance, up);
        assertThat(up.grants).extracting(Effects.Grant::waiter).containsExactly(first, second);
        assertThat(up.grants).allSatisfy(grant -> {
            assertThat(grant.epoch()).isSameAs(instance.epoch);
            assertThat(grant.coldStartWaitMillis()).isNotNegative();
        });
        assertThat(instance.epoch.count()).isEqualTo(2);
        assertThat(instance.state).isEqualTo(InstanceState.READY);
    }

    @Test
    void aReadyInstanceWithRoomIsLeasedWithoutTheLock() {
        ServiceDefinition def = service().concurrency(1).build();
        ServicePool pool = pool(def, 10);
        Instance instance = readyInstance(pool);

        InFlight lease = pool.tryLease();

        assertThat(lease).isSameAs(instance.epoch);
        assertThat(pool.tryLease()).as("at concurrency").isNull();
        lease.release();
        assertThat(pool.tryLease()).isNotNull();
    }

    @Test
    void concurrencyBoundsHowManyShareAStartThenTheQueueTakesOver() {
        ServicePool pool = pool(service().concurrency(1).maxInstances(2).build(), 1);

        Effects first = acquire(pool, waiter());
        Effects second = acquire(pool, waiter());
        Effects third = acquire(pool, waiter());
        Effects fourth = acquire(pool, waiter());

        assertThat(first.starts).hasSize(1);
        assertThat(second.starts).as("the first start has no room for another").hasSize(1);
        assertThat(third.queued).hasSize(1);
        assertThat(fourth.queueFull).isEqualTo(1);
        assertThat(fourth.failures).singleElement().satisfies(f -> {
            assertThat(f.failure().reason()).isEqualTo(AcquireFailure.Reason.UNAVAILABLE);
            assertThat(f.failure().getMessage()).contains("queue is full (1)");
        });
        assertThat(pool.tryLease()).as("queued requests go first").isNull();
    }

    @Test
    void aReleaseHandsItsRoomToTheQueue() {
        ServicePool pool = pool(service().concurrency(1).build(), 10);
        Instance instance = readyInstance(pool);
        InFlight held = pool.tryLease();
        Waiter queued = waiter();
        assertThat(acquire(pool, queued).queued).containsExactly(queued);

        assertThat(held.release()).isFalse();
        assertThat(pool.hasQueued()).isTrue();
        Effects fx = new Effects();
        pool.dispatch(fx);

        assertThat(fx.grants).singleElement().satisfies(grant -> {
            assertThat(grant.waiter()).isSameAs(queued);
            assertThat(grant.epoch()).isSameAs(instance.epoch);
            assertThat(grant.coldStartWaitMillis()).isEqualTo(-1);
        });
        assertThat(pool.hasQueued()).isFalse();
    }

    @Test
    void aWaiterThatLeavesIsOutOfTheQueueAndOffTheStartAtOnce() {
        ServicePool pool = pool(service().concurrency(1).build(), 1);
        Waiter starting = waiter();
        Effects started = acquire(pool, starting);
        Waiter queued = waiter();
        acquire(pool, queued);

        Effects left = new Effects();
        pool.abandoned(queued, left);
        pool.abandoned(starting, left);

        assertThat(left.abandoned).isEqualTo(2);
        assertThat(pool.hasQueued()).isFalse();
        Effects up = new Effects();
        pool.ready(started.starts.get(0), up);
        assertThat(up.grants).as("nobody waits any more; the start completed all the same").isEmpty();
        assertThat(up.starts).isEmpty();
        assertThat(started.starts.get(0).state).isEqualTo(InstanceState.READY);
    }

    @Test
    void aLeaseTakenBeforeTheReaperLooksKeepsTheInstance() {
        ServicePool pool = pool(service().build(), 10);
        Instance instance = readyInstance(pool);
        clock.advanceMillis(120_000);

        InFlight lease = pool.tryLease();
        Effects fx = new Effects();
        pool.maintain(true, fx);

        assertThat(lease).isNotNull();
        assertThat(fx.retires).isEmpty();
        assertThat(instance.state).isEqualTo(InstanceState.READY);
        assertThat(lease.retired()).isNotDone();
    }

    @Test
    void anInstanceTheReaperClaimedIsNeverLeased() {
        ServicePool pool = pool(service().build(), 10);
        Instance instance = readyInstance(pool);
        clock.advanceMillis(120_000);

        Effects reaped = new Effects();
        pool.maintain(true, reaped);

        assertThat(reaped.retires).singleElement().satisfies(r -> assertThat(r.instance()).isSameAs(instance));
        assertThat(reaped.closedEpochs).containsExactly(instance.epoch);
        assertThat(instance.epoch.tryAcquire(0)).isFalse();
        assertThat(pool.tryLease()).isNull();
        Effects next = acquire(pool, waiter());
        assertThat(next.starts).as("a new instance, not the reaped one").hasSize(1);
    }

    @Test
    void aRequestDuringAPauseWaitsForItThenTheUnpauseIsAskedFor() {
        ServicePool pool = pool(service().idleAction(IdleAction.PAUSE).build(), 10);
        Instance instance = readyInstance(pool);
        clock.advanceMillis(120_000);
        Effects pausing = new Effects();
        pool.maintain(true, pausing);
        assertThat(pausing.pauses).containsExactly(instance);
        assertThat(instance.state).isEqualTo(InstanceState.PAUSING);

        Waiter waiter = waiter();
        Effects during = acquire(pool, waiter);
        assertThat(during.resumes).as("no unpause before the pause is recorded").isEmpty();
        assertThat(during.starts).isEmpty();

        Effects paused = new Effects();
        pool.paused(instance, true, paused);
        assertThat(paused.resumes).containsExactly(instance);
        assertThat(instance.state).isEqualTo(InstanceState.RESUMING);

        Effects resumed = new Effects();
        pool.ready(instance, resumed);
        assertThat(resumed.grants).extracting(Effects.Grant::waiter).containsExactly(waiter);
    }

    @Test
    void aPausedInstanceIsResumedForTheNextRequestAndAPauseThatFailedKeepsItServing() {
        ServicePool pool = pool(service().idleAction(IdleAction.PAUSE).build(), 10);
        Instance instance = readyInstance(pool);
        clock.advanceMillis(120_000);
        pool.maintain(true, new Effects());
        Effects failedPause = new Effects();
        pool.paused(instance, false, failedPause);
        assertThat(instance.state).isEqualTo(InstanceState.READY);
        assertThat(failedPause.resumes).isEmpty();

        clock.advanceMillis(120_000);
        pool.maintain(true, new Effects());
        pool.paused(instance, true, new Effects());
        assertThat(instance.state).isEqualTo(InstanceState.PAUSED);
        Effects next = acquire(pool, waiter());
        assertThat(next.resumes).containsExactly(instance);
        assertThat(next.starts).isEmpty();
    }

    @Test
    void aRetiredPoolDrainsItsInstancesOnceTheirLastRequestEnds() {
        ServicePool pool = pool(service().maxInstances(2).build(), 10);
        Instance old = readyInstance(pool);
        InFlight lease = pool.tryLease();

        Effects retired = new Effects();
        pool.retire("no traffic and no tag", retired);

        assertThat(old.state).isEqualTo(InstanceState.DRAINING);
        assertThat(retired.closedEpochs).containsExactly(old.epoch);
        assertThat(retired.retires).isEmpty();
        assertThat(pool.tryLease()).as("no new leases").isNull();
        assertThat(pool.wantsSpare()).isFalse();
        assertThat(lease.release()).as("the last request of a closed epoch").isTrue();
        Effects drained = new Effects();
        pool.drained(old, lease, drained);
        assertThat(drained.retires).singleElement().satisfies(r -> {
            assertThat(r.instance()).isSameAs(old);
            assertThat(r.graceful()).isTrue();
        });
        Effects later = new Effects();
        pool.maintain(true, later);
        assertThat(later.isEmpty()).as("a retired pool starts nothing").isTrue();
    }

    @Test
    void aRetiredPoolHandsWhoWaitsBackToBePlacedAgainAndEveryLaterRequestToo() {
        ServicePool pool = pool(service().concurrency(1).maxInstances(2).build(), 10);
        readyInstance(pool);
        pool.tryLease();
        Waiter starting = waiter();
        Instance comingUp = acquire(pool, starting).starts.get(0);
        Waiter queued = waiter();
        acquire(pool, queued);
        acquire(pool, waiter()); // shares nothing: queued too
        assertThat(pool.hasQueued()).isTrue();

        Effects retired = new Effects();
        pool.retire("no traffic and no tag", retired);

        assertThat(retired.redirects).as("off the start first, then the queue in its order").startsWith(starting,
                queued).hasSize(3);
        assertThat(retired.failures).isEmpty();
        assertThat(pool.hasQueued()).isFalse();
        Waiter late = waiter();
        assertThat(acquire(pool, late).redirects).containsExactly(late);

        Effects up = new Effects();
        pool.ready(comingUp, up);
        assertThat(up.grants).as("nobody waits for it any more").isEmpty();
        assertThat(up.retires).as("it came up for a revision that serves nothing: it goes").singleElement()
                .satisfies(r -> assertThat(r.instance()).isSameAs(comingUp));
    }

    @Test
    void aTagOnlyRevisionScalesToZeroAndKeepsNoSpare() {
        ServiceDefinition def = service().minInstances(2).maxInstances(3).build();
        ServicePool tagged = pool(def, Serving.TAG, 10);
        Effects topUp = new Effects();
        tagged.maintain(true, topUp);
        assertThat(topUp.starts).as("min_instances apply to revisions with traffic").isEmpty();
        assertThat(tagged.spec().scaling().minInstances()).isZero();
        assertThat(tagged.spec().scaling().maxInstances()).isEqualTo(3);
        assertThat(tagged.wantsSpare()).isFalse();
        assertThat(acquire(tagged, waiter()).starts).as("a request through the tag cold-starts it").hasSize(1);

        Effects gained = new Effects();
        tagged.define(resolved(def), Serving.TRAFFIC, gained);
        Effects now = new Effects();
        tagged.maintain(true, now);
        assertThat(now.starts).as("it has traffic now: one more up to the minimum of 2").hasSize(1);
        assertThat(tagged.wantsSpare()).isTrue();
    }

    @Test
    void scalingChangesInPlaceAndALargerMaxServesTheQueue() {
        ServicePool pool = pool(service().concurrency(1).maxInstances(1).build(), 10);
        Instance first = readyInstance(pool);
        pool.tryLease();
        Waiter queued = waiter();
        assertThat(acquire(pool, queued).queued).containsExactly(queued);

        Effects grown = new Effects();
        pool.define(resolved(service().concurrency(1).maxInstances(2).build()), Serving.TRAFFIC, grown);

        assertThat(grown.starts).hasSize(1);
        assertThat(grown.starts.get(0).waiters).containsExactly(queued);
        assertThat(first.state).as("the same revision: its instances stay").isEqualTo(InstanceState.READY);
    }

    @Test
    void aFailedStartFailsItsWaitersAndBacksTheTopUpOff() {
        ServicePool pool = pool(service().minInstances(1).build(), 10);
        Effects topUp = new Effects();
        pool.maintain(true, topUp);
        Instance instance = topUp.starts.get(0);
        Waiter waiter = waiter();
        acquire(pool, waiter);

        Effects failed = new Effects();
        AcquireFailure failure = new AcquireFailure(AcquireFailure.Reason.START_FAILED, "image missing");
        pool.startFailed(instance, failure, failed);

        assertThat(failed.failures).singleElement().satisfies(f -> assertThat(f.failure()).isSameAs(failure));
        assertThat(failed.retires).singleElement().satisfies(r -> assertThat(r.graceful()).isFalse());
        Effects soon = new Effects();
        pool.maintain(true, soon);
        assertThat(soon.starts).as("within the backoff").isEmpty();
        clock.advanceMillis(StartBackoff.FIRST_MILLIS);
        Effects later = new Effects();
        pool.maintain(true, later);
        assertThat(later.starts).hasSize(1);
    }

    @Test
    void aFailedUnpauseQueuesItsWaitersFirstForAColdStart() {
        ServicePool pool = pool(service().idleAction(IdleAction.PAUSE).build(), 10);
        Instance instance = readyInstance(pool);
        clock.advanceMillis(120_000);
        pool.maintain(true, new Effects());
        pool.paused(instance, true, new Effects());
        Waiter waiter = waiter();
        acquire(pool, waiter);

        Effects failed = new Effects();
        pool.resumeFailed(instance, failed);

        assertThat(failed.retires).singleElement().satisfies(r -> assertThat(r.instance()).isSameAs(instance));
        assertThat(failed.starts).as("another instance for the waiter").hasSize(1);
        assertThat(failed.starts.get(0).waiters).containsExactly(waiter);
    }

    @Test
    void shuttingDownFailsWhoWaitsAndDrainsEveryInstance() {
        ServicePool pool = pool(service().maxInstances(2).concurrency(1).build(), 10);
        Instance idle = readyInstance(pool);
        InFlight held = pool.tryLease();
        Waiter starting = waiter();
        assertThat(acquire(pool, starting).starts).hasSize(1);
        held.release();

        Effects closed = new Effects();
        pool.close(closed);

        assertThat(closed.failures).extracting(Effects.Failure::waiter).containsExactly(starting);
        assertThat(closed.retires).extracting(Effects.Retire::instance).containsExactly(idle);
        assertThat(acquire(pool, waiter()).failures).singleElement()
                .satisfies(f -> assertThat(f.failure().getMessage()).contains("shutting down"));
    }
}
