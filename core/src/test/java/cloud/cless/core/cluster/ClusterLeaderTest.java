package cloud.cless.core.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import cloud.cless.core.service.IdleAction;
import cloud.cless.core.service.ScalingSettings;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The leader's rounds: they begin on gained, use each round's reports, and stop at once on lost. */
class ClusterLeaderTest {
    private static final Instant NOW = Instant.parse("2026-01-01T12:00:00Z");
    private static final Duration IDLE = Duration.ofSeconds(300);
    private static final Map<String, ScalingSettings> REVISIONS = Map.of("hello",
            new ScalingSettings(0, 10, 4, IDLE, IdleAction.STOP));

    /** The reads the leader asked for, each completed by the test. */
    private final BlockingQueue<CompletableFuture<ClusterView>> reads = new LinkedBlockingQueue<>();
    private final RecordingScaler scaler = new RecordingScaler();
    private final ClusterLeader leader = new ClusterLeader(() -> {
        CompletableFuture<ClusterView> read = new CompletableFuture<>();
        reads.add(read);
        return read;
    }, () -> REVISIONS, scaler, Duration.ofMillis(10));

    @AfterEach
    void close() {
        leader.close();
    }

    @Test
    void eachRoundPlansFromTheReportsItReadAndCarriesWhatItSawIntoTheNext() throws Exception {
        leader.gained();
        nextRead().complete(view(NOW, 7));
        ScalePlan first = scaler.next();
        assertThat(first.revision("hello").orElseThrow().target()).isEqualTo(2);
        assertThat(scaler.leading.get(0).getAsBoolean()).isTrue();
        assertThat(leader.lastPlan()).containsSame(first);

        nextRead().complete(view(NOW.plusSeconds(1), -1));
        assertThat(scaler.next().revision("hello").orElseThrow().toZero().allowed()).isFalse();
        nextRead().complete(view(NOW.plus(IDLE).plusSeconds(1), -1));
        assertThat(scaler.next().revision("hello").orElseThrow().toZero().allowed())
                .as("unreported since the second round, for the idle timeout").isTrue();
    }

    @Test
    void onLostNoRoundDecidesAnyMoreAndTheScalerIsTold() throws Exception {
        leader.gained();
        nextRead().complete(view(NOW, 1));
        scaler.next();
        CompletableFuture<ClusterView> pending = nextRead();

        leader.lost();
        assertThat(scaler.leading.get(0).getAsBoolean()).as("a write under way sees the loss at once").isFalse();
        assertThat(leader.lastPlan()).isEmpty();
        pending.complete(view(NOW, 1));
        leader.close(); // runs what the completed read queued on the leader's thread, then ends it

        assertThat(scaler.plans).hasSize(1);
        assertThat(scaler.lost.await(5, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void aNewLeadershipStartsWithNothingSeen() throws Exception {
        leader.gained();
        nextRead().complete(view(NOW, -1));
        scaler.next();
        leader.lost();
        leader.gained();
        CompletableFuture<ClusterView> read;
        do {
            read = nextRead(); // a read of the old term may still be asked for before its cancel
            read.complete(view(NOW.plus(IDLE).plusSeconds(1), -1));
        } while (scaler.plans.size() < 2);

        assertThat(scaler.plans.get(1).revision("hello").orElseThrow().toZero().allowed()).isFalse();
    }

    @Test
    void aFailedReadCostsOneRound() throws Exception {
        leader.gained();
        nextRead().completeExceptionally(new IllegalStateException("database unreachable"));
        nextRead().complete(view(NOW, 3));
        assertThat(scaler.next().revision("hello").orElseThrow().inFlight()).isEqualTo(3);
    }

    private CompletableFuture<ClusterView> nextRead() throws InterruptedException {
        CompletableFuture<ClusterView> read = reads.poll(5, TimeUnit.SECONDS);
        assertThat(read).as("the leader reads the reports").isNotNull();
        return read;
    }

    /** One live replica with {@code inFlight} requests of hello, or none of it when negative. */
    private static ClusterView view(Instant now, int inFlight) {
        Map<String, RevisionActivity> revisions = inFlight < 0 ? Map.of()
                : Map.of("hello", new RevisionActivity(inFlight, now));
        return ClusterView.of(now, List.of(new ReplicaReport("r1", "h:80", "h:80", now.minusSeconds(60), now,
                revisions)), ReportTiming.DEFAULT);
    }

    private static final class RecordingScaler implements ClusterScaler {
        final List<ScalePlan> plans = new CopyOnWriteArrayList<>();
        final List<BooleanSupplier> leading = new CopyOnWriteArrayList<>();
        final BlockingQueue<ScalePlan> applied = new LinkedBlockingQueue<>();
        final CountDownLatch lost = new CountDownLatch(1);

        @Override
        public void apply(ScalePlan plan, BooleanSupplier stillLeading) {
            plans.add(plan);
            leading.add(stillLeading);
            applied.add(plan);
        }

        @Override
        public void leadershipLost() {
            lost.countDown();
        }

        ScalePlan next() throws InterruptedException {
            ScalePlan plan = applied.poll(5, TimeUnit.SECONDS);
            assertThat(plan).as("the scaler is handed a plan").isNotNull();
            return plan;
        }
    }
}
