package cloud.cless.core.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import cloud.cless.core.store.PostgresEndpoint;
import cloud.cless.core.store.PostgresSchema;
import cloud.cless.core.store.StoreUnavailableException;
import cloud.cless.core.testing.PostgresSupport;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class ReplicaReportsTest {

    @RegisterExtension
    static final PostgresSupport postgres = PostgresSupport.sharedServer();

    // Wide enough apart that a busy machine still sees a silent replica stale before it is dead.
    private static final ReportTiming QUICK = new ReportTiming(Duration.ofMillis(100), Duration.ofSeconds(1),
            Duration.ofSeconds(3));
    private static final Duration SOON = Duration.ofSeconds(10);

    private final List<AutoCloseable> opened = new ArrayList<>();

    @BeforeAll
    static void schema() {
        PostgresSchema.migrate(postgres.endpoint("setup"), Duration.ofSeconds(30));
    }

    @AfterEach
    void close() throws Exception {
        for (int i = opened.size() - 1; i >= 0; i--) {
            opened.get(i).close();
        }
        try (JdbcExecutor jdbc = executor()) {
            jdbc.call("clear", c -> c.createStatement().executeUpdate("DELETE FROM replica")).get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void theReaderSeesEveryReplicaAndTheLoadOfEachRevision() throws Exception {
        Instant now = Instant.now();
        ReplicaReporter r1 = reporter("r1", Map.of("hello-1", new RevisionActivity(2, now),
                "other-1", new RevisionActivity(0, now.minusSeconds(90))));
        ReplicaReporter r2 = reporter("r2", Map.of("hello-1", new RevisionActivity(3, now)));
        r1.reportNow().get(10, TimeUnit.SECONDS);
        r2.reportNow().get(10, TimeUnit.SECONDS);

        ClusterView view = reports().read().get(10, TimeUnit.SECONDS);
        assertThat(view.live()).extracting(ReplicaReport::id).containsExactly("r1", "r2");
        assertThat(view.stale()).isEmpty();
        ReplicaReport first = view.replica("r1").orElseThrow();
        assertThat(first.name()).isEqualTo("r1.host");
        assertThat(first.address()).isEqualTo("r1.host:8080");
        assertThat(first.startedAt()).isEqualTo(STARTED);
        assertThat(first.age(view.now())).isLessThan(SOON);
        RevisionLoad hello = view.revision("hello-1").orElseThrow();
        assertThat(hello.inFlight()).isEqualTo(5);
        assertThat(hello.replicas()).isEqualTo(2);
        RevisionLoad other = view.revision("other-1").orElseThrow();
        // 90 s idle, placed on the database's clock (same host: the clocks agree to well within a second).
        assertThat(Duration.between(other.lastRequestAt(), view.now()).toMillis()).isCloseTo(90_000L, within(2_000L));
    }

    @Test
    void aSilentReplicaGoesStaleBlocksScaleToZeroAndIsThenDeclaredDeadAndDropped() throws Exception {
        Instant longAgo = Instant.now().minus(1, ChronoUnit.HOURS);
        ReplicaReporter ghost = reporter("ghost", Map.of("hello-1", new RevisionActivity(0, longAgo)));
        ghost.reportNow().get(10, TimeUnit.SECONDS); // and never again: as if SIGKILLed
        ReplicaReporter live = reporter("live", Map.of("hello-1", new RevisionActivity(0, longAgo)));
        live.start();
        ReplicaReports reports = reports();

        ClusterView stale = awaitView(reports, v -> v.stale().stream().anyMatch(r -> r.id().equals("ghost")));
        assertThat(stale.live()).extracting(ReplicaReport::id).containsExactly("live");
        ScaleToZeroDecision blocked = ScaleToZeroPolicy.decide(stale, "hello-1", Duration.ofSeconds(300));
        assertThat(blocked.allowed()).isFalse();
        assertThat(blocked.reason()).contains("replica ghost last reported");

        Poll.until(SOON, "the live replica drops the dead one", () -> rowCount("ghost") == 0);
        ClusterView after = reports.read().get(10, TimeUnit.SECONDS);
        assertThat(after.replica("ghost")).isEmpty();
        assertThat(ScaleToZeroPolicy.decide(after, "hello-1", Duration.ofSeconds(300)).allowed()).isTrue();
    }

    @Test
    void aReplicaThatLeavesRemovesItsReport() throws Exception {
        ReplicaReporter leaving = reporter("leaving", Map.of());
        leaving.start();
        Poll.until(SOON, "the first report", () -> rowCount("leaving") == 1);
        leaving.close();
        assertThat(rowCount("leaving")).isZero();
    }

    @Test
    void activityIsReadAnewForEveryReport() throws Exception {
        Map<String, RevisionActivity> activity = new ConcurrentHashMap<>();
        ReplicaReporter reporter = new ReplicaReporter(track(executor()), identity("r1"), () -> Map.copyOf(activity),
                QUICK, Clock.systemUTC());
        opened.add(reporter);
        reporter.start();
        ReplicaReports reports = reports();
        activity.put("hello-1", new RevisionActivity(7, Instant.now()));
        awaitView(reports, v -> v.revision("hello-1").map(l -> l.inFlight() == 7).orElse(false));
        activity.put("hello-1", new RevisionActivity(0, Instant.now()));
        awaitView(reports, v -> v.revision("hello-1").map(l -> l.inFlight() == 0).orElse(false));
    }

    @Test
    void aReportThatCannotReachTheDatabaseFailsAndTheLinkSaysSo() {
        PostgresEndpoint nowhere = PostgresSupport.unreachableEndpoint("r1");
        JdbcExecutor jdbc = track(JdbcExecutor.open(nowhere, "replica reports", 1, 10, Clock.systemUTC()));
        ReplicaReporter reporter = new ReplicaReporter(jdbc, identity("r1"), Map::of, QUICK, Clock.systemUTC());
        opened.add(reporter);
        assertThat(JdbcExecutorTest.catchExecution(reporter.reportNow()).getCause())
                .isInstanceOf(StoreUnavailableException.class);
        assertThat(reporter.link().up()).isFalse();
    }

    private static final Instant STARTED = Instant.parse("2026-01-01T08:00:00Z");

    private static ReplicaIdentity identity(String id) {
        return new ReplicaIdentity(id, id + ".host", id + ".host:8080", STARTED);
    }

    private ReplicaReporter reporter(String id, Map<String, RevisionActivity> activity) {
        ReplicaReporter reporter = new ReplicaReporter(track(executor()), identity(id), () -> activity, QUICK,
                Clock.systemUTC());
        opened.add(reporter);
        return reporter;
    }

    private ReplicaReports reports() {
        return new ReplicaReports(track(executor()), QUICK);
    }

    private ClusterView awaitView(ReplicaReports reports, java.util.function.Predicate<ClusterView> condition) {
        ClusterView[] last = new ClusterView[1];
        Poll.until(SOON, "the cluster view", () -> {
            last[0] = reports.read().join();
            return condition.test(last[0]);
        });
        return last[0];
    }

    private static int rowCount(String id) {
        try (Connection connection = postgres.endpoint("observer").openDedicated("test");
             PreparedStatement ps = connection.prepareStatement("SELECT count(*) FROM replica WHERE id = ?")) {
            ps.setString(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private <T extends AutoCloseable> T track(T closeable) {
        opened.add(closeable);
        return closeable;
    }

    private static JdbcExecutor executor() {
        return JdbcExecutor.open(postgres.endpoint("r"), "replica reports", 1, 10, Clock.systemUTC());
    }
}
