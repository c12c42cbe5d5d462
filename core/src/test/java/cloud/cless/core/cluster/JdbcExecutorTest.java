package cloud.cless.core.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import cloud.cless.core.store.PostgresEndpoint;
import cloud.cless.core.store.StoreException;
import cloud.cless.core.store.StoreUnavailableException;
import cloud.cless.core.testing.PostgresSupport;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class JdbcExecutorTest {

    @RegisterExtension
    static final PostgresSupport postgres = PostgresSupport.sharedServer();

    @BeforeAll
    static void table() throws Exception {
        try (JdbcExecutor jdbc = executor(2, 10)) {
            jdbc.call("create", c -> execute(c, "CREATE TABLE item (name text PRIMARY KEY)")).get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void aTransactionCommitsWhenTheWorkReturnsAndRollsBackWhenItThrows() throws Exception {
        try (JdbcExecutor jdbc = executor(2, 10)) {
            jdbc.transaction("insert kept", c -> execute(c, "INSERT INTO item VALUES ('kept')")).get(10, TimeUnit.SECONDS);
            CompletableFuture<Object> failed = jdbc.transaction("insert dropped", c -> {
                execute(c, "INSERT INTO item VALUES ('dropped')");
                throw new IllegalStateException("changed its mind");
            });
            assertThatThrownBy(() -> failed.get(10, TimeUnit.SECONDS)).hasCauseInstanceOf(IllegalStateException.class);
            assertThat(jdbc.call("count", c -> count(c, "SELECT count(*) FROM item WHERE name IN ('kept', 'dropped')"))
                    .get(10, TimeUnit.SECONDS)).isEqualTo(1);
            assertThat(jdbc.link().up()).isTrue();
        }
    }

    @Test
    void anErrorTheDatabaseAnswersIsAStoreErrorAndTheLinkStaysUp() throws Exception {
        try (JdbcExecutor jdbc = executor(1, 10)) {
            jdbc.call("insert", c -> execute(c, "INSERT INTO item VALUES ('twice')")).get(10, TimeUnit.SECONDS);
            CompletableFuture<Object> duplicate = jdbc.call("insert twice",
                    c -> execute(c, "INSERT INTO item VALUES ('twice')"));
            ExecutionException e = catchExecution(duplicate);
            assertThat(e.getCause()).isInstanceOf(StoreException.class).isNotInstanceOf(StoreUnavailableException.class)
                    .hasMessageContaining("cannot insert twice (jdbc:postgresql://127.0.0.1:")
                    .hasMessageContaining("duplicate key");
            assertThat(jdbc.link().up()).isTrue();
        }
    }

    @Test
    void aFullQueueFailsACallAtOnce() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        try (JdbcExecutor jdbc = executor(1, 1)) {
            CompletableFuture<Object> running = jdbc.call("hold", c -> {
                await(release);
                return null;
            });
            CompletableFuture<Integer> queued = jdbc.call("queued", c -> count(c, "SELECT 1"));
            CompletableFuture<Integer> refused = jdbc.call("one too many", c -> count(c, "SELECT 1"));
            assertThat(refused).isCompletedExceptionally();
            assertThat(catchExecution(refused).getCause()).isInstanceOf(StoreUnavailableException.class)
                    .hasMessageContaining("cannot one too many: 1 calls to jdbc:postgresql://");
            release.countDown();
            running.get(10, TimeUnit.SECONDS);
            assertThat(queued.get(10, TimeUnit.SECONDS)).isEqualTo(1);
        }
    }

    @Test
    void anUnreachableDatabaseFailsCallsWithinThePoolWaitAndTakesTheLinkDown() {
        PostgresEndpoint nowhere = PostgresSupport.unreachableEndpoint("r1");
        try (JdbcExecutor jdbc = JdbcExecutor.open(nowhere, "test", 1, 10, Clock.systemUTC())) {
            CompletableFuture<Integer> call = jdbc.call("read", c -> count(c, "SELECT 1"));
            ExecutionException e = catchExecution(call);
            assertThat(e.getCause()).isInstanceOf(StoreUnavailableException.class)
                    .hasMessageContaining("cannot read (jdbc:postgresql://127.0.0.1:1/cless?user=cless)");
            assertThat(jdbc.link().up()).isFalse();
            assertThat(jdbc.link().failure()).isNotBlank();
        }
    }

    @Test
    void aClosedExecutorRefusesCalls() {
        JdbcExecutor jdbc = executor(1, 1);
        jdbc.close();
        assertThat(catchExecution(jdbc.call("late", c -> 1)).getCause())
                .isInstanceOf(StoreUnavailableException.class).hasMessageContaining("closed");
    }

    private static JdbcExecutor executor(int threads, int queue) {
        return JdbcExecutor.open(postgres.endpoint("r1"), "test", threads, queue, Clock.systemUTC());
    }

    private static Object execute(Connection connection, String sql) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            statement.execute(sql);
        }
        return null;
    }

    private static int count(Connection connection, String sql) throws SQLException {
        try (Statement statement = connection.createStatement(); ResultSet rs = statement.executeQuery(sql)) {
            rs.next();
            return rs.getInt(1);
        }
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static ExecutionException catchExecution(CompletableFuture<?> future) {
        try {
            future.get(20, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            return e;
        } catch (Exception e) {
            throw new AssertionError("the call neither failed nor finished in time", e);
        }
        throw new AssertionError("the call succeeded");
    }
}
