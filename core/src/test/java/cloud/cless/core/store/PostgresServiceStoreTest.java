package cloud.cless.core.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import cloud.cless.core.cluster.ChangeNotices;
import cloud.cless.core.service.RegisteredService;
import cloud.cless.core.service.Revision;
import cloud.cless.core.service.TrafficTarget;
import cloud.cless.core.testing.PostgresSupport;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/** The store contract on a real PostgreSQL, and what sharing one database between processes needs. */
class PostgresServiceStoreTest extends ServiceStoreContractTest {

    @RegisterExtension
    static final PostgresSupport postgres = PostgresSupport.sharedServer();

    private static final Duration LOCK_WAIT = Duration.ofSeconds(30);

    private String url;

    @Override
    protected ServiceStore newStore() {
        url = postgres.freshDatabase();
        return open("r1");
    }

    /** Another store on this test's database, as another replica would open it. */
    private PostgresServiceStore open(String replica) {
        return PostgresServiceStore.open(postgres.endpoint(url, replica), LOCK_WAIT);
    }

    @Test
    void twoStoresWritingOneServiceAtOnceLoseNoRevisionAndNeverReuseANumber() throws Exception {
        store.create(service("hello"));
        int perWriter = 15;
        List<ServiceStore> writers = List.of(store, open("r2"), open("r3"));
        ExecutorService threads = Executors.newFixedThreadPool(writers.size());
        CyclicBarrier start = new CyclicBarrier(writers.size());
        ConcurrentLinkedQueue<Integer> handedOut = new ConcurrentLinkedQueue<>();
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int w = 0; w < writers.size(); w++) {
                ServiceStore writer = writers.get(w);
                String image = "img/w" + w;
                done.add(threads.submit(() -> {
                    start.await(10, TimeUnit.SECONDS);
                    for (int i = 0; i < perWriter; i++) {
                        int number = writer.write("hello", (stored, last) -> {
                            RegisteredService next = withRevision(stored.orElseThrow(), last + 1, image + "-" + last);
                            return ServiceStore.Outcome.store(next, last + 1);
                        });
                        handedOut.add(number);
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            threads.shutdownNow();
            writers.subList(1, writers.size()).forEach(ServiceStore::close);
        }
        int total = 1 + writers.size() * perWriter;
        assertThat(handedOut).doesNotHaveDuplicates().hasSize(total - 1);
        RegisteredService stored = store.get("hello").orElseThrow();
        assertThat(stored.revisions()).extracting(Revision::number)
                .containsExactlyElementsOf(IntStream.rangeClosed(1, total).boxed().toList());
        assertThat(store.lastRevisionNumber("hello")).isEqualTo(total);
    }

    @Test
    void writesStayCorrectOnADatabaseWhoseDefaultIsolationIsSerializable() throws Exception {
        try (Connection admin = postgres.adminConnection(); Statement statement = admin.createStatement()) {
            String database = url.substring(url.lastIndexOf('/') + 1, url.indexOf('?'));
            statement.execute("ALTER DATABASE \"" + database + "\" SET default_transaction_isolation = 'serializable'");
        }
        try (ServiceStore first = open("r2"); ServiceStore second = open("r3")) {
            first.create(service("hello"));
            List<Optional<Throwable>> outcomes = race(
                    () -> first.write("hello", (stored, last) -> ServiceStore.Outcome.store(
                            withRevision(stored.orElseThrow(), last + 1, "img/first"), null)),
                    () -> second.write("hello", (stored, last) -> ServiceStore.Outcome.store(
                            withRevision(stored.orElseThrow(), last + 1, "img/second"), null)));
            assertThat(outcomes).allMatch(Optional::isEmpty);
            assertThat(first.get("hello").orElseThrow().revisions()).extracting(Revision::number)
                    .containsExactly(1, 2, 3);
        }
    }

    @Test
    void ofTwoStoresCreatingOneNameAtOnceOneGetsADuplicate() throws Exception {
        try (ServiceStore other = open("r2")) {
            List<Optional<Throwable>> outcomes = race(
                    () -> store.create(service("hello")),
                    () -> other.create(service(definition("hello").toBuilder().host("else.localhost").build())));
            assertThat(outcomes).filteredOn(Optional::isEmpty).hasSize(1);
            assertThat(outcomes).filteredOn(Optional::isPresent).singleElement()
                    .satisfies(failure -> assertThat(failure.orElseThrow())
                            .isInstanceOfSatisfying(DuplicateServiceException.class,
                                    e -> assertThat(e.field()).isEqualTo("name")));
            assertThat(store.list()).hasSize(1);
        }
    }

    @Test
    void ofTwoStoresTakingOneHostAtOnceOneGetsADuplicate() throws Exception {
        try (ServiceStore other = open("r2")) {
            for (int round = 0; round < 6; round++) {
                String host = "t--round" + round + ".localhost";
                RegisteredService a = service(definition("a" + round).toBuilder().host(host).build());
                // Even rounds: the same own host; odd ones: b's tag "t" is reached at a's own host.
                RegisteredService b = round % 2 == 0 ? service(definition("b" + round).toBuilder().host(host).build())
                        : withTraffic(service(definition("b" + round).toBuilder().host("round" + round + ".localhost")
                                .build()), TrafficTarget.latest(100), TrafficTarget.latest(0).withTag("t"));
                List<Optional<Throwable>> outcomes = race(() -> store.create(a), () -> other.create(b));
                assertThat(outcomes).filteredOn(Optional::isPresent).singleElement()
                        .satisfies(failure -> assertThat(failure.orElseThrow())
                                .isInstanceOfSatisfying(DuplicateServiceException.class,
                                        e -> assertThat(e.field()).isIn("host", "traffic[1].tag")));
            }
            assertThat(store.list()).hasSize(6);
        }
    }

    @Test
    void everyWriteAnnouncesItsServiceAtCommitAndAFailedOneNothing() throws Exception {
        try (Connection listener = postgres.endpoint(url, "listener").openDedicated("test");
             Statement statement = listener.createStatement()) {
            statement.execute("LISTEN " + ChangeNotices.CHANNEL);
            store.create(service("hello"));
            assertThatThrownBy(() -> store.create(service("hello"))).isInstanceOf(DuplicateServiceException.class);
            store.update(service("hello")); // the same as stored: nothing written, nothing announced
            store.delete("hello");
            store.delete("hello");
            assertThat(notices(listener, 2)).containsExactly("service:hello", "service:hello");
            assertThat(notices(listener, 1)).isEmpty();
        }
    }

    @Test
    void anUnreachableDatabaseIsAnUnavailableStoreNamingItsUrlWithoutThePassword() {
        PostgresEndpoint unreachable = PostgresEndpoint.of(
                "jdbc:postgresql://127.0.0.1:1/cless?user=cless&password=secret", null, "r1",
                PostgresSupport.QUICK_TIMEOUTS);
        assertThatThrownBy(() -> PostgresServiceStore.open(unreachable, LOCK_WAIT))
                .isInstanceOf(StoreUnavailableException.class)
                .hasMessageContaining("password=***")
                .hasMessageNotContaining("secret");
    }

    @Test
    void theHostsOfStoredServicesAreClaimedInTheDatabase() throws SQLException {
        store.create(withTraffic(service("hello"), TrafficTarget.latest(100).withTag("beta")));
        try (Connection connection = postgres.endpoint(url, "test").openDedicated("test");
             Statement statement = connection.createStatement()) {
            try (var rs = statement.executeQuery("SELECT host, service, tag FROM claimed_host ORDER BY host")) {
                List<String> rows = new ArrayList<>();
                while (rs.next()) {
                    rows.add(rs.getString(1) + " " + rs.getString(2) + " " + rs.getString(3));
                }
                assertThat(rows).containsExactly("beta--hello.localhost hello beta", "hello.localhost hello null");
            }
            // Whoever writes: the key refuses a second owner of a host.
            assertThatThrownBy(() -> statement.execute("INSERT INTO service (name, host) VALUES ('x', 'x.localhost');"
                    + " INSERT INTO claimed_host (host, service) VALUES ('beta--hello.localhost', 'x')"))
                    .isInstanceOfSatisfying(SQLException.class,
                            e -> assertThat(new PostgresDialect().violatedUnique(e)).isEqualTo("host"));
        }
    }

    /** Runs both at once and says how each ended: empty when it returned, else what it threw. */
    private static List<Optional<Throwable>> race(Runnable first, Runnable second) throws Exception {
        ExecutorService threads = Executors.newFixedThreadPool(2);
        CyclicBarrier start = new CyclicBarrier(2);
        try {
            List<Future<Optional<Throwable>>> futures = new ArrayList<>();
            for (Runnable r : List.of(first, second)) {
                futures.add(threads.submit(() -> {
                    start.await(10, TimeUnit.SECONDS);
                    try {
                        r.run();
                        return Optional.<Throwable>empty();
                    } catch (RuntimeException e) {
                        return Optional.<Throwable>of(e);
                    }
                }));
            }
            List<Optional<Throwable>> outcomes = new ArrayList<>();
            for (Future<Optional<Throwable>> f : futures) {
                outcomes.add(f.get(30, TimeUnit.SECONDS));
            }
            return outcomes;
        } finally {
            threads.shutdownNow();
        }
    }

    /** Up to {@code count} notices received within a second each, as {@code subject:id}. */
    private static List<String> notices(Connection listener, int count) throws SQLException {
        List<String> received = new ArrayList<>();
        PGConnection pg = listener.unwrap(PGConnection.class);
        long deadline = System.nanoTime() + Duration.ofSeconds(count).toNanos();
        while (received.size() < count && System.nanoTime() < deadline) {
            PGNotification[] batch = pg.getNotifications(100);
            if (batch != null) {
                for (PGNotification n : batch) {
                    String[] parts = n.getParameter().split(":", 3);
                    received.add(parts[0] + ":" + parts[2]);
                }
            }
        }
        return received;
    }
}
