package cloud.cless.core.cluster;

import static cloud.cless.core.cluster.RecordingChangeListener.RELOAD;
import static org.assertj.core.api.Assertions.assertThat;

import cloud.cless.core.store.PostgresEndpoint;
import cloud.cless.core.store.PostgresSchema;
import cloud.cless.core.store.StoreUnavailableException;
import cloud.cless.core.testing.PostgresServer;
import cloud.cless.core.testing.PostgresSupport;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A replica cut off from PostgreSQL: every part says so without blocking, and all recover by themselves. */
class ClusterOutageTest {

    @RegisterExtension
    static final PostgresSupport postgres = PostgresSupport.ownServer();

    private static final Backoff QUICK = new Backoff(Duration.ofMillis(50), Duration.ofMillis(500));
    private static final ReportTiming TIMING = new ReportTiming(Duration.ofMillis(200), Duration.ofSeconds(1),
            Duration.ofSeconds(5));
    private static final Duration SOON = Duration.ofSeconds(15);

    @Test
    void everyPartReportsTheOutageAndRecoversWhenTheDatabaseIsBack() throws Exception {
        PostgresEndpoint endpoint = postgres.endpoint("r1");
        PostgresSchema.migrate(endpoint, Duration.ofSeconds(30));
        PostgresServer server = postgres.ownedServer();
        RecordingChangeListener changes = new RecordingChangeListener();
        RecordingLeadership leadership = new RecordingLeadership();
        try (JdbcExecutor jdbc = JdbcExecutor.open(endpoint, "replica reports", 2, 100, Clock.systemUTC());
             ChangeFeed feed = new ChangeFeed(endpoint, QUICK, Clock.systemUTC()).subscribe(changes);
             LeaderElection election = new LeaderElection(endpoint, Duration.ofMillis(200), QUICK, Clock.systemUTC())
                     .subscribe(leadership);
             ReplicaReporter reporter = new ReplicaReporter(jdbc, new ReplicaIdentity("r1", "h", "h:80",
                     Instant.now()), Map::of, TIMING, Clock.systemUTC())) {
            feed.start();
            election.start();
            reporter.start();
            assertThat(changes.next(SOON)).isEqualTo(RELOAD);
            Poll.until(SOON, "all parts reach the database", () -> allUp(feed, election, reporter));
            Poll.until(SOON, "the only replica leads", election::isLeader);

            server.crash();
            Poll.until(SOON, "every part reports the outage", () -> List.of(feed.link(), election.link(),
                    reporter.link()).stream().noneMatch(DatabaseLink::up));
            assertThat(DatabaseLink.combined(List.of(feed.link(), election.link(), reporter.link())).up()).isFalse();
            assertThat(election.isLeader()).isFalse();
            assertThat(leadership.events).containsExactly("gained", "lost");
            assertThat(JdbcExecutorTest.catchExecution(reporter.reportNow()).getCause())
                    .isInstanceOf(StoreUnavailableException.class);

            server.startAgain();
            Poll.until(SOON, "every part is back", () -> allUp(feed, election, reporter));
            assertThat(changes.events.poll(SOON.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo(RELOAD);
            Poll.until(SOON, "the replica leads again", election::isLeader);
            assertThat(leadership.events).containsExactly("gained", "lost", "gained");
            reporter.reportNow().get(10, TimeUnit.SECONDS);
            ClusterView view = new ReplicaReports(jdbc, TIMING).read().get(10, TimeUnit.SECONDS);
            assertThat(view.live()).extracting(ReplicaReport::id).containsExactly("r1");
        }
    }

    private static boolean allUp(ChangeFeed feed, LeaderElection election, ReplicaReporter reporter) {
        return feed.link().up() && election.link().up() && reporter.link().up();
    }
}
