package cloud.cless.core.instance;

import static org.assertj.core.api.Assertions.assertThat;

import cloud.cless.core.service.DefinitionDefaults;
import cloud.cless.core.service.IdleAction;
import cloud.cless.core.service.ResolvedService;
import cloud.cless.core.service.ServiceDefinition;
import io.netty.channel.EventLoop;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The pool's state machine on its own: decisions in, {@link Effects} out; no threads, engines or sleeps. */
class ServicePoolTest {
    private static final DefinitionDefaults DEFAULTS = new DefinitionDefaults("localhost", 300, 30);

    private final EventLoop loop = new EmbeddedChannel().eventLoop();
    private final MutableClock clock = new MutableClock();
    private final AtomicInteger ids = new AtomicInteger();

    private static ServiceDefinition.Builder service() {
        return ServiceDefinition.builder("hello").imageName("cless-test/hello").maxInstances(1).concurrency(0)
                .idleTimeoutSeconds(60);
    }

    private static ResolvedService resolved(ServiceDefinition def) {
        return ResolvedService.of(def, DEFAULTS);
    }

    private ServicePool pool(ServiceDefinition def, int queueCapacity) {
        return new ServicePool(resolved(def), clock::millis, () -> "i" + ids.incrementAndGet(), queueCapacity);
    }

    private Effects acquire(ServicePool pool, Waiter waiter) {
        Effects fx = new Effects();
        pool.acquire(waiter, pool.spec(), fx);
        return fx;
    }

    /** A pool with one ready, idle instance. */
    private Instance readyInstance(ServicePool pool) {
        Effects fx = acquire(pool, new Waiter(loop));
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
        Waiter first = new Waiter(loop);
        Waiter second = new Waiter(loop);

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

        InFlight lease = pool.tryLease(def);

        assertThat(lease).isSameAs(instance.epoch);
        assertThat(pool.tryLease(def)).as("at concurrency").isNull();
        assertThat(pool.tryLease(service().concurrency(1).build())).as("not the definition it runs").isNull();
        lease.release();
        assertThat(pool.tryLease(def)).isNotNull();
    }

    @Test
    void concurrencyBoundsHowManyShareAStartThenTheQueueTakesOver() {
        ServicePool pool = pool(service().concurrency(1).maxInstances(2).build(), 1);

        Effects first = acquire(pool, new Waiter(loop));
        Effects second = acquire(pool, new Waiter(loop));
        Effects third = acquire(pool, new Waiter(loop));
        Effects fourth = acquire(pool, new Waiter(loop));

        assertThat(first.starts).hasSize(1);
        assertThat(second.starts).as("the first start has no room for another").hasSize(1);
        assertThat(third.queued).hasSize(1);
        assertThat(fourth.queueFull).isEqualTo(1);
        assertThat(fourth.failures).singleElement().satisfies(f -> {
            assertThat(f.failure().reason()).isEqualTo(AcquireFailure.Reason.UNAVAILABLE);
            assertThat(f.failure().getMessage()).contains("queue is full (1)");
        });
        assertThat(pool.tryLease(pool.spec().definition())).as("queued requests go first").isNull();
    }

    @Test
    void aReleaseHandsItsRoomToTheQueue() {
        ServicePool pool = pool(service().concurrency(1).build(), 10);
        Instance instance = readyInstance(pool);
        InFlight held = pool.tryLease(pool.spec().definition());
        Waiter queued = new Waiter(loop);
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
        Waiter starting = new Waiter(loop);
        Effects started = acquire(pool, starting);
        Waiter queued = new Waiter(loop);
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

        InFlight lease = pool.tryLease(pool.spec().definition());
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
        assertThat(pool.tryLease(pool.spec().definition())).isNull();
        Effects next = acquire(pool, new Waiter(loop));
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

        Waiter waiter = new Waiter(loop);
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
        Effects next = acquire(pool, new Waiter(loop));
        assertThat(next.resumes).containsExactly(instance);
        assertThat(next.starts).isEmpty();
    }

    @Test
    void aNewContainerDrainsTheOldInstanceOnceItsLastRequestEnds() {
        ServicePool pool = pool(service().env(Map.of("V", "1")).build(), 10);
        Instance old = readyInstance(pool);
        InFlight lease = pool.tryLease(pool.spec().definition());

        Effects changed = new Effects();
        pool.define(resolved(service().env(Map.of("V", "2")).build()), changed);

        assertThat(old.state).isEqualTo(InstanceState.DRAINING);
        assertThat(changed.closedEpochs).containsExactly(old.epoch);
        assertThat(changed.retires).isEmpty();
        assertThat(lease.release()).as("the last request of a closed epoch").isTrue();
        Effects drained = new Effects();
        pool.drained(old, lease, drained);
        assertThat(drained.retires).singleElement().satisfies(r -> {
            assertThat(r.instance()).isSameAs(old);
            assertThat(r.graceful()).isTrue();
        });
    }

    @Test
    void aDeletedPoolFailsItsQueueAndEveryLaterRequestNotFound() {
        ServicePool pool = pool(service().concurrency(1).build(), 10);
        readyInstance(pool);
        pool.tryLease(pool.spec().definition());
        Waiter queued = new Waiter(loop);
        acquire(pool, queued);

        Effects deleted = new Effects();
        pool.delete(deleted);

        assertThat(deleted.failures).singleElement().satisfies(f -> {
            assertThat(f.waiter()).isSameAs(queued);
            assertThat(f.failure().reason()).isEqualTo(AcquireFailure.Reason.NOT_FOUND);
        });
        assertThat(acquire(pool, new Waiter(loop)).failures).singleElement()
                .satisfies(f -> assertThat(f.failure().reason()).isEqualTo(AcquireFailure.Reason.NOT_FOUND));
    }

    @Test
    void aFailedStartFailsItsWaitersAndBacksTheTopUpOff() {
        ServicePool pool = pool(service().minInstances(1).build(), 10);
        Effects topUp = new Effects();
        pool.maintain(true, topUp);
        Instance instance = topUp.starts.get(0);
        Waiter waiter = new Waiter(loop);
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
        Waiter waiter = new Waiter(loop);
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
        InFlight held = pool.tryLease(pool.spec().definition());
        Waiter starting = new Waiter(loop);
        assertThat(acquire(pool, starting).starts).hasSize(1);
        held.release();

        Effects closed = new Effects();
        pool.close(closed);

        assertThat(closed.failures).extracting(Effects.Failure::waiter).containsExactly(starting);
        assertThat(closed.retires).extracting(Effects.Retire::instance).containsExactly(idle);
        assertThat(acquire(pool, new Waiter(loop)).failures).singleElement()
                .satisfies(f -> assertThat(f.failure().getMessage()).contains("shutting down"));
    }
}
