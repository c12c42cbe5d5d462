package cloud.cless.core.instance;

import static org.assertj.core.api.Assertions.assertThat;

import cloud.cless.core.service.ServiceDefinition;
import io.netty.util.concurrent.Future;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** What the lifecycle tells the cluster (each pool's activity), and the start gate it consults before a start. */
class LifecycleActivityTest extends LifecycleFixture {

    @Test
    void eachRevisionReportsItsLeasesAndItsLastActivityOnceItHasAnInstance() throws Exception {
        ServiceDefinition hello = registered(service("hello").maxInstances(2).build());
        assertThat(manager.activity()).isEmpty();

        InstanceLease first = lease(hello);
        InstanceLease second = lease(hello);
        assertThat(manager.activity()).containsOnlyKeys("hello-00001");
        assertThat(manager.activity().get("hello-00001").inFlight()).isEqualTo(2);

        clock.advanceMillis(5_000);
        first.release();
        second.release();
        Instant released = Instant.ofEpochMilli(clock.millis());
        clock.advanceMillis(60_000);
        assertThat(manager.activity().get("hello-00001")).isEqualTo(new PoolActivity(0, released));
    }

    @Test
    void requestsWaitingForAColdStartAreDemandToo() throws Exception {
        ServiceDefinition hello = registered(service("hello").build());
        CompletableFuture<Void> gate = new CompletableFuture<>();
        runtime.createGate = gate;

        List<Future<InstanceLease>> waiting = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            waiting.add(acquire(hello));
        }
        assertThat(manager.activity().get("hello-00001").inFlight()).isEqualTo(3);

        gate.complete(null);
        for (Future<InstanceLease> future : waiting) {
            leases.add(await(future));
        }
        assertThat(manager.activity().get("hello-00001").inFlight()).isEqualTo(3);
    }

    @Test
    void aClosedStartGateFailsColdStartsWithItsReasonWhileWarmInstancesServe() throws Exception {
        ServiceDefinition warm = registered(service("warm").build());
        InstanceLease before = lease(warm);
        before.release();
        ServiceDefinition cold = registered(service("cold").build());

        String why = "no instance can be started while the shared database jdbc:postgresql://db/cless is unreachable";
        startGate = () -> why;
        AcquireFailure refused = failureOf(acquire(cold));
        assertThat(refused.reason()).isEqualTo(AcquireFailure.Reason.UNAVAILABLE);
        assertThat(refused.getMessage()).isEqualTo("service cold: " + why);
        assertThat(refused.logged()).isTrue();
        assertThat(runtime.creates()).isEqualTo(1);
        InstanceLease warmAgain = lease(warm);
        assertThat(warmAgain.instanceId()).isEqualTo(before.instanceId());

        startGate = StartGate.OPEN;
        InstanceLease started = lease(cold);
        assertThat(started.instanceId()).isNotEqualTo(before.instanceId());
        assertThat(runtime.creates()).isEqualTo(2);
    }

    @Test
    void aClosedStartGateMakesNoTopUpUntilItOpens() throws Exception {
        services.existing(service("warm").minInstances(1).build());
        startGate = () -> "the shared database is unreachable";
        manager.start().get(30, TimeUnit.SECONDS);
        tick();
        assertThat(runtime.creates()).isZero();

        startGate = StartGate.OPEN;
        tick();
        ReadinessProbeTest.waitUntil(() -> manager.instances("warm").stream()
                .anyMatch(i -> i.state() == InstanceState.READY));
    }
}
