package cloud.cless.core.runtime.swarm;

import static cloud.cless.core.testing.Futures.await;
import static org.assertj.core.api.Assertions.assertThat;

import cloud.cless.core.cluster.RevisionScale;
import cloud.cless.core.cluster.ScalePlan;
import cloud.cless.core.cluster.ScaleToZeroDecision;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The leader's plan carried out on a swarm kept in memory: raised to the target, lowered only to zero. */
class SwarmScalerTest {
    private static final String INSTALLATION = "inst1";

    private final FakeSwarm swarm = new FakeSwarm();
    private final SwarmScaler scaler = new SwarmScaler(swarm, INSTALLATION);

    private void service(String revision, int replicas) {
        swarm.add(new SwarmServiceSpec("hello", revision, INSTALLATION, "cless-test/hello:latest", 8080, Map.of(),
                null, null, replicas, Duration.ofSeconds(10), List.of()));
    }

    private static RevisionScale decision(String revision, int inFlight, int target, boolean toZero) {
        return new RevisionScale(revision, inFlight, target, new ScaleToZeroDecision(toZero, "because"));
    }

    /** One round of a leader that still leads, waited for. */
    private void apply(RevisionScale... decisions) {
        scaler.apply(new ScalePlan(Instant.now(), List.of(decisions), Map.of()), () -> true);
        await(scaler.lastRound());
    }

    @Test
    void aRevisionIsRaisedToItsTargetButNotLoweredToIt() {
        service("hello-00001", 1);
        service("hello-00002", 3);

        apply(decision("hello-00001", 5, 3, false), decision("hello-00002", 1, 1, false));

        assertThat(swarm.replicas("cless-hello-00001")).isEqualTo(3);
        assertThat(swarm.replicas("cless-hello-00002")).as("kept until it may scale to zero").isEqualTo(3);
    }

    @Test
    void aRevisionGoesToZeroOnlyWhereThePlanAllowsIt() {
        service("hello-00001", 2);
        service("hello-00002", 1);

        apply(decision("hello-00001", 0, 0, true), decision("hello-00002", 0, 0, false));

        assertThat(swarm.replicas("cless-hello-00001")).isZero();
        assertThat(swarm.replicas("cless-hello-00002")).isEqualTo(1);
    }

    @Test
    void aServiceThatIsNotThereIsNotMade() {
        service("hello-00001", 1);

        apply(decision("hello-00009", 4, 2, false), decision("hello-00001", 4, 2, false));

        assertThat(swarm.exists("cless-hello-00009")).isFalse();
        assertThat(swarm.replicas("cless-hello-00001")).isEqualTo(2);
    }

    @Test
    void aLeaderThatLostItsLeadWritesNothing() {
        service("hello-00001", 1);

        scaler.apply(new ScalePlan(Instant.now(), List.of(decision("hello-00001", 4, 2, false)), Map.of()),
                () -> false);
        await(scaler.lastRound());

        assertThat(swarm.replicaUpdates()).isZero();
        assertThat(swarm.replicas("cless-hello-00001")).isEqualTo(1);
    }
}
