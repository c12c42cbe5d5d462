package cloud.cless.core.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import cloud.cless.core.testing.PostgresSupport;
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

class LeaderElectionTest {
    private static final Logger log = LoggerFactory.getLogger(LeaderElectionTest.class);

    @RegisterExtension
    static final PostgresSupport postgres = PostgresSupport.ownServer();

    private static final Duration INTERVAL = Duration.ofMillis(500);
    private static final Backoff QUICK = new Backoff(Duration.ofMillis(50), Duration.ofMillis(500));
    /** The bound for another replica to lead after the leader dies. */
    private static final Duration HANDOVER = Duration.ofSeconds(10);

    private final List<LeaderElection> elections = new ArrayList<>();
    private final List<RecordingLeadership> listeners = new ArrayList<>();

    @AfterEach
    void leave() {
        elections.forEach(LeaderElection::close);
        postgres.ownedServer().startAgain();
        // A closed session's backend ends (and its lock goes) a moment after the client has left.
        Poll.until(HANDOVER, "the lock is free again", () -> {
            try {
                return currentLeader().isEmpty();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
    }

    @Test
    void exactlyOneOfSeveralReplicasLeadsAndTheDatabaseSaysWhich() throws Exception {
        assertThat(currentLeader()).isEmpty();
        start("r1", "r2", "r3");
        LeaderElection leader = awaitLeader();
        assertThat(elections.stream().filter(LeaderElection::isLeader)).hasSize(1);
        String id = idOf(leader);
        assertThat(currentLeader()).contains(id);
        assertThat(listeners.get(elections.indexOf(leader)).events).containsExactly("gained");
        Poll.until(HANDOVER, "every elector reaches the database", () ->
                elections.stream().allMatch(e -> e.link().up()));
    }

    @Test
    void aLeaderThatLeavesHandsOverToAnother() {
        start("r1", "r2", "r3");
        LeaderElection first = awaitLeader();
        RecordingLeadership firstListener = listeners.get(elections.indexOf(first));
        first.close();
        assertThat(first.isLeader()).isFalse();
        assertThat(firstListener.events).containsExactly("gained", "lost");
        LeaderElection next = awaitLeader();
        assertThat(next).isNotSameAs(first);
    }

    @Test
    void aLeaderWhoseSessionIsKilledStopsLeadingAndTheClusterLeadsAgain() throws Exception {
        start("r1", "r2", "r3");
        LeaderElection first = awaitLeader();
        RecordingLeadership firstListener = listeners.get(elections.indexOf(first));
        try (Connection admin = postgres.adminConnection(); Statement statement = admin.createStatement()) {
            statement.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    + " WHERE application_name = 'cless leader " + idOf(first) + "'");
        }
        Poll.until(HANDOVER, "the old leader hears it lost", () -> firstListener.events.contains("lost"));
        // Whoever is quickest takes the lock again (the old leader's process is alive, it may win).
        LeaderElection next = awaitLeader();
        assertThat(currentLeader()).contains(idOf(next));
    }

    @Test
    void whenTheDatabaseStopsNobodyLeadsAndAfterItIsBackOneDoes() throws Exception {
        start("r1", "r2");
        LeaderElection first = awaitLeader();
        RecordingLeadership firstListener = listeners.get(elections.indexOf(first));

        postgres.ownedServer().stop();
        Poll.until(HANDOVER, "the leader steps down", () -> !first.isLeader());
        assertThat(firstListener.events).containsExactly("gained", "lost");
        Poll.until(HANDOVER, "every elector reports the outage", () ->
                elections.stream().noneMatch(e -> e.link().up()));

        postgres.ownedServer().startAgain();
        LeaderElection again = awaitLeader();
        assertThat(again.link().up()).isTrue();
        assertThat(currentLeader()).contains(idOf(again));
    }

    @Test
    void whenTheLeadersProcessIsKilledAnotherReplicaLeadsWithinTenSeconds() throws Exception {
        Process child = startChild("child-1");
        try {
            CountDownLatch leads = new CountDownLatch(1);
            Thread reader = new Thread(() -> {
                try (BufferedReader out = new BufferedReader(
                        new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String line; (line = out.readLine()) != null; ) {
                        if (line.equals("LEADER")) {
                            leads.countDown();
                        }
                    }
                } catch (Exception ignored) {
                    // the child is killed
                }
            });
            reader.setDaemon(true);
            reader.start();
            assertThat(leads.await(60, TimeUnit.SECONDS)).as(() -> "the child process leads; its stderr: "
                    + readQuietly(childLog)).isTrue();
            assertThat(currentLeader()).contains("child-1");

            start("r1");
            Poll.until(HANDOVER, "the follower reaches the database", () -> elections.get(0).link().up());
            assertThat(elections.get(0).isLeader()).isFalse();

            long killed = System.nanoTime();
            child.destroyForcibly(); // SIGKILL: no goodbye to the database, the kernel closes its socket
            assertThat(child.waitFor(10, TimeUnit.SECONDS)).isTrue();
            Poll.until(HANDOVER, "the surviving replica leads", () -> elections.get(0).isLeader());
            log.info("Leadership handed over {} ms after the leader's SIGKILL",
                    Duration.ofNanos(System.nanoTime() - killed).toMillis());
            assertThat(currentLeader()).contains("r1");
        } finally {
            child.destroyForcibly();
            Files.deleteIfExists(childLog);
        }
    }

    private static String readQuietly(Path file) {
        try {
            return Files.readString(file);
        } catch (java.io.IOException e) {
            return "(unreadable: " + e + ")";
        }
    }

    private Path childLog;

    private Process startChild(String id) throws Exception {
        childLog = Files.createTempFile("cless-leader-child-", ".log");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String classpath = Stream.of(System.getProperty("surefire.test.class.path"),
                        System.getProperty("java.class.path"))
                .filter(p -> p != null && !p.isBlank()).findFirst().orElseThrow();
        return new ProcessBuilder(java, "-cp", classpath, "-Xmx64m", LeaderElectionChild.class.getName(),
                postgres.jdbcUrl(), postgres.password(), id)
                .redirectError(childLog.toFile())
                .redirectInput(new File("/dev/null"))
                .start();
    }

    private void start(String... ids) {
        for (String id : ids) {
            RecordingLeadership listener = new RecordingLeadership();
            LeaderElection election = new LeaderElection(postgres.endpoint(id), INTERVAL, QUICK, Clock.systemUTC())
                    .subscribe(listener);
            elections.add(election);
            listeners.add(listener);
            election.start();
        }
    }

    private LeaderElection awaitLeader() {
        Poll.until(HANDOVER, "a replica leads", () -> elections.stream().anyMatch(LeaderElection::isLeader));
        return elections.stream().filter(LeaderElection::isLeader).findFirst().orElseThrow();
    }

    private String idOf(LeaderElection election) {
        return "r" + (elections.indexOf(election) + 1);
    }

    private static Optional<String> currentLeader() throws Exception {
        try (Connection connection = postgres.endpoint("observer").openDedicated("test")) {
            return LeaderElection.currentLeader(connection);
        }
    }
}
