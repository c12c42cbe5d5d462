package cloud.cless.core.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import cloud.cless.core.store.PostgresSchema;
import cloud.cless.core.testing.PostgresSupport;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@code GET /cluster}'s view of a real database: the reports, the leader's session, and the view of a cut-off replica. */
class SharedClusterStatusTest {

    @RegisterExtension
    static final PostgresSupport postgres = PostgresSupport.sharedServer();

    private static final Duration SOON = Duration.ofSeconds(10);
    private static final Instant STARTED = Instant.parse("2026-01-01T08:00:00Z");
    private static final Map<String, RevisionActivity> LOCAL = Map.of("hello", new RevisionActivity(4, Instant.now()));

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
    }

    @Test
    void everyReportedReplicaIsListedWithTheLeaderTheDatabaseHolds() throws Exception {
        JdbcExecutor jdbc = open(JdbcExecutor.open(postgres.endpoint("r1"), "cluster", 2, 10, Clock.systemUTC()));
        reporter(jdbc, "r1", Map.of("hello", new RevisionActivity(2, Instant.now()))).reportNow()
                .get(10, TimeUnit.SECONDS);
        reporter(jdbc, "r2", Map.of()).reportNow().get(10, TimeUnit.SECONDS);
        LeaderElection election = open(new LeaderElection(postgres.endpoint("r2"), Duration.ofMillis(100),
                Backoff.DEFAULT, Clock.systemUTC()));
        election.start();
        Poll.until(SOON, "r2 leads", election::isLeader);

        ClusterSnapshot seenByR1 = status(jdbc, "r1").read().get(10, TimeUnit.SECONDS);

        assertThat(seenByR1.replicaId()).isEqualTo("r1");
        assertThat(seenByR1.leaderId()).isEqualTo("r2");
        assertThat(seenByR1.database().up()).isTrue();
        assertThat(seenByR1.replicas()).extracting(r -> r.id() + " " + r.state())
                .containsExactly("r1 LIVE", "r2 LIVE");
        ReplicaStatus r1 = seenByR1.replica("r1").orElseThrow();
        assertThat(r1.name()).isEqualTo("r1.host:80");
        assertThat(r1.startedAt()).isEqualTo(STARTED);
        assertThat(r1.reportedAt()).isNotNull();
        assertThat(r1.revisions().get("hello").inFlight()).as("as reported, not as known locally").isEqualTo(2);

        ClusterSnapshot seenByR3 = status(jdbc, "r3").read().get(10, TimeUnit.SECONDS);
        assertThat(seenByR3.replicas()).extracting(r -> r.id() + " " + r.state())
                .containsExactly("r1 LIVE", "r2 LIVE", "r3 UNREPORTED");
        assertThat(seenByR3.replica("r3").orElseThrow().revisions()).isEqualTo(LOCAL);
    }

    @Test
    void aReplicaCutOffFromTheDatabaseShowsItselfAndWhy() throws Exception {
        JdbcExecutor jdbc = open(JdbcExecutor.open(PostgresSupport.unreachableEndpoint("r1"), "cluster", 2, 10,
                Clock.systemUTC()));

        ClusterSnapshot alone = status(jdbc, "r1").read().get(30, TimeUnit.SECONDS);

        assertThat(alone.leaderId()).isNull();
        assertThat(alone.database().up()).isFalse();
        assertThat(alone.database().failure()).isNotBlank();
        assertThat(alone.replicas()).singleElement().satisfies(r -> {
            assertThat(r.id()).isEqualTo("r1");
            assertThat(r.state()).isEqualTo(ReplicaStatus.State.UNREPORTED);
            assertThat(r.reportedAt()).isNull();
            assertThat(r.revisions()).isEqualTo(LOCAL);
        });
    }

    @Test
    void theStartGateOfSharedInstancesClosesWhileTheDatabaseIsUnreachableAndNamesIt() throws Exception {
        JdbcExecutor down = open(JdbcExecutor.open(PostgresSupport.unreachableEndpoint("r1"), "cluster", 1, 10,
                Clock.systemUTC()));
        String url = PostgresSupport.unreachableEndpoint("r1").redactedUrl();
        assertThat(ClusterStartGate.of(InstanceSharing.PER_REPLICA, down::link, url).refusal())
                .as("a replica's own containers start anyway").isNull();

        String refusal = ClusterStartGate.of(InstanceSharing.SHARED, down::link, url).refusal();
        assertThat(refusal).contains("no instance can be started while the shared database " + url
                + " is unreachable").contains("not connected yet");

        JdbcExecutor up = open(JdbcExecutor.open(postgres.endpoint("r1"), "cluster", 1, 10, Clock.systemUTC()));
        up.call("reach it", c -> c.isValid(1)).get(10, TimeUnit.SECONDS);
        assertThat(ClusterStartGate.of(InstanceSharing.SHARED, up::link, url).refusal()).isNull();
    }

    private SharedClusterStatus status(JdbcExecutor jdbc, String self) {
        return new SharedClusterStatus(() -> identity(self), () -> LOCAL, new ReplicaReports(jdbc,
                ReportTiming.DEFAULT), jdbc, jdbc::link, Optional::empty, Clock.systemUTC());
    }

    private ReplicaReporter reporter(JdbcExecutor jdbc, String id, Map<String, RevisionActivity> activity) {
        return open(new ReplicaReporter(jdbc, identity(id), () -> activity, ReportTiming.DEFAULT, Clock.systemUTC()));
    }

    private static ReplicaIdentity identity(String id) {
        return new ReplicaIdentity(id, id + ".host:80", id + ".host:80", STARTED);
    }

    private <T extends AutoCloseable> T open(T closeable) {
        opened.add(closeable);
        return closeable;
    }
}
