package cloud.cless.core.cluster;

import static cloud.cless.core.cluster.RecordingChangeListener.RELOAD;
import static org.assertj.core.api.Assertions.assertThat;

import cloud.cless.core.store.PostgresEndpoint;
import cloud.cless.core.store.PostgresSchema;
import cloud.cless.core.testing.PostgresSupport;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class ChangeFeedTest {

    @RegisterExtension
    static final PostgresSupport postgres = PostgresSupport.ownServer();

    private static final Backoff QUICK = new Backoff(Duration.ofMillis(50), Duration.ofMillis(500));
    private static final Duration SOON = Duration.ofSeconds(10);

    private final List<ChangeFeed> feeds = new ArrayList<>();

    @BeforeAll
    static void schema() {
        PostgresSchema.migrate(postgres.endpoint("setup"), Duration.ofSeconds(30));
    }

    @AfterEach
    void closeFeeds() {
        feeds.forEach(ChangeFeed::close);
        postgres.ownedServer().startAgain();
    }

    @Test
    void aChangeCommittedOnAnotherConnectionReachesTheListenerWithinASecond() throws Exception {
        RecordingChangeListener listener = new RecordingChangeListener();
        ChangeFeed feed = started(listener);
        assertThat(listener.next(SOON)).isEqualTo(RELOAD);
        assertThat(feed.link().up()).isTrue();

        Change made = commit(Change.SERVICE, "hello");
        assertThat(listener.next(Duration.ofSeconds(1))).isEqualTo(made);
        assertThat(made.sequence()).isPositive();
        assertThat(commit(Change.SERVICE, "hello").sequence()).isGreaterThan(made.sequence());
    }

    @Test
    void aRolledBackChangeIsNeverAnnounced() throws Exception {
        RecordingChangeListener listener = new RecordingChangeListener();
        started(listener);
        assertThat(listener.next(SOON)).isEqualTo(RELOAD);
        try (Connection connection = connect()) {
            connection.setAutoCommit(false);
            ChangeNotices.announce(connection, Change.SERVICE, "ghost");
            connection.rollback();
        }
        Change real = commit(Change.SERVICE, "real");
        // Had the rolled-back one been sent, it would have come first.
        assertThat(listener.next(SOON)).isEqualTo(real);
    }

    @Test
    void listenersAreToldEveryChangeInOrder() throws Exception {
        List<String> log = Collections.synchronizedList(new ArrayList<>());
        RecordingChangeListener first = new RecordingChangeListener();
        RecordingChangeListener second = new RecordingChangeListener();
        ChangeListener throwing = new ChangeListener() {
            @Override
            public void reloadAll() {
                throw new IllegalStateException("a listener's own failure");
            }

            @Override
            public void changed(Change change) {
                throw new IllegalStateException("a listener's own failure");
            }
        };
        ChangeFeed feed = new ChangeFeed(postgres.endpoint("r1"), QUICK, Clock.systemUTC())
                .subscribe(logging(first, "first", log)).subscribe(throwing).subscribe(logging(second, "second", log));
        feeds.add(feed);
        feed.start();
        assertThat(first.next(SOON)).isEqualTo(RELOAD);
        assertThat(second.next(SOON)).isEqualTo(RELOAD);

        List<Change> made = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            made.add(commit(Change.SERVICE, "s" + i));
        }
        for (Change change : made) {
            assertThat(first.next(SOON)).isEqualTo(change);
            assertThat(second.next(SOON)).isEqualTo(change);
        }
        List<String> expected = new ArrayList<>(List.of("first reload", "second reload"));
        for (Change change : made) {
            expected.add("first " + change.id());
            expected.add("second " + change.id());
        }
        assertThat(log).containsExactlyElementsOf(expected);
    }

    @Test
    void anApplierOnTheFeedEndsWithTheLatestChangeOfEveryThing() throws Exception {
        Map<String, Long> latestApplied = new ConcurrentHashMap<>();
        AtomicInteger reloads = new AtomicInteger();
        ChangeApplier applier = new ChangeApplier(new ChangeApplier.Target() {
            @Override
            public void reloadAll() {
                reloads.incrementAndGet();
            }

            @Override
            public void reload(Change change) {
                latestApplied.merge(change.id(), change.sequence(), Math::max);
            }
        }, QUICK);
        try {
            started(applier);
            Poll.until(SOON, "the first reload", () -> reloads.get() == 1);
            Map<String, Long> latestMade = new HashMap<>();
            for (int i = 0; i < 50; i++) {
                Change change = commit(Change.SERVICE, "s" + (i % 5));
                latestMade.put(change.id(), change.sequence());
            }
            Poll.until(SOON, "every service's latest change applied", () -> latestApplied.equals(latestMade));
        } finally {
            applier.close();
        }
    }

    @Test
    void aNotificationItCannotReadMeansReloadEverything() throws Exception {
        RecordingChangeListener listener = new RecordingChangeListener();
        started(listener);
        assertThat(listener.next(SOON)).isEqualTo(RELOAD);
        try (Connection connection = connect();
             PreparedStatement ps = connection.prepareStatement("SELECT pg_notify(?, 'v2|service|hello')")) {
            ps.setString(1, ChangeNotices.CHANNEL);
            ps.execute();
        }
        assertThat(listener.next(SOON)).isEqualTo(RELOAD);
    }

    @Test
    void afterTheServerRestartsTheFeedReconnectsByItselfAndReloads() throws Exception {
        RecordingChangeListener listener = new RecordingChangeListener();
        ChangeFeed feed = started(listener);
        assertThat(listener.next(SOON)).isEqualTo(RELOAD);

        postgres.ownedServer().stop();
        Poll.until(SOON, "the feed reports the outage", () -> !feed.link().up());
        assertThat(feed.link().failure()).isNotBlank();
        postgres.ownedServer().startAgain();

        assertThat(listener.next(SOON)).isEqualTo(RELOAD);
        assertThat(feed.link().up()).isTrue();
        Change after = commit(Change.SERVICE, "after-restart");
        assertThat(listener.next(SOON)).isEqualTo(after);
    }

    @Test
    void afterACrashOrAKilledSessionTheFeedReconnectsAndReloads() throws Exception {
        RecordingChangeListener listener = new RecordingChangeListener();
        started(listener);
        assertThat(listener.next(SOON)).isEqualTo(RELOAD);

        try (Connection admin = postgres.adminConnection(); Statement statement = admin.createStatement()) {
            statement.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    + " WHERE application_name = 'cless change feed r1'");
        }
        assertThat(listener.next(SOON)).isEqualTo(RELOAD);

        postgres.ownedServer().crash();
        postgres.ownedServer().startAgain();
        assertThat(listener.next(SOON)).isEqualTo(RELOAD);
        Change after = commit(Change.SERVICE, "after-crash");
        assertThat(listener.next(SOON)).isEqualTo(after);
    }

    @Test
    void aFeedClosedWhileTheDatabaseIsDownStopsAtOnce() {
        postgres.ownedServer().stop();
        ChangeFeed feed = started(new RecordingChangeListener());
        Poll.until(SOON, "the feed reports the outage", () -> feed.link().failure() != null
                && !feed.link().failure().equals("not connected yet"));
        long began = System.nanoTime();
        feed.close();
        assertThat(Duration.ofNanos(System.nanoTime() - began)).isLessThan(Duration.ofSeconds(2));
    }

    private ChangeFeed started(ChangeListener listener) {
        ChangeFeed feed = new ChangeFeed(postgres.endpoint("r1"), QUICK, Clock.systemUTC()).subscribe(listener);
        feeds.add(feed);
        feed.start();
        return feed;
    }

    private static ChangeListener logging(ChangeListener delegate, String name, List<String> log) {
        return new ChangeListener() {
            @Override
            public void reloadAll() {
                log.add(name + " reload");
                delegate.reloadAll();
            }

            @Override
            public void changed(Change change) {
                log.add(name + " " + change.id());
                delegate.changed(change);
            }
        };
    }

    private static Change commit(String subject, String id) throws SQLException {
        try (Connection connection = connect()) {
            connection.setAutoCommit(false);
            Change change = ChangeNotices.announce(connection, subject, id);
            connection.commit();
            return change;
        }
    }

    private static Connection connect() throws SQLException {
        PostgresEndpoint other = postgres.endpoint("r2");
        return other.openDedicated("test");
    }
}
