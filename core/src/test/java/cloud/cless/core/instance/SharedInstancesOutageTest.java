package cloud.cless.core.instance;

import static org.assertj.core.api.Assertions.assertThat;

import cloud.cless.core.cluster.ClusterStartGate;
import cloud.cless.core.cluster.InstanceSharing;
import cloud.cless.core.cluster.JdbcExecutor;
import cloud.cless.core.service.ServiceDefinition;
import cloud.cless.core.store.PostgresEndpoint;
import cloud.cless.core.testing.PostgresServer;
import cloud.cless.core.testing.PostgresSupport;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A replica whose instances are shared, cut off from a real PostgreSQL: warm instances serve, a request that needs
 * a start gets UNAVAILABLE naming the database, and starts go again by themselves once it is back.
 */
class SharedInstancesOutageTest extends LifecycleFixture {

    @RegisterExtension
    static final PostgresSupport postgres = PostgresSupport.ownServer();

    private JdbcExecutor jdbc;

    @AfterEach
    void closeExecutor() {
        if (jdbc != null) {
            jdbc.close();
        }
        postgres.ownedServer().startAgain();
    }

    @Test
    void coldStartsWaitForTheDatabaseWhileWarmInstancesServe() throws Exception {
        PostgresEndpoint endpoint = PostgresEndpoint.of(postgres.jdbcUrl(), postgres.password(), "r1",
                PostgresSupport.QUICK_TIMEOUTS);
        jdbc = JdbcExecutor.open(endpoint, "cluster", 1, 10, Clock.systemUTC());
        startGate = ClusterStartGate.of(InstanceSharing.SHARED, jdbc::link, endpoint.redactedUrl());
        ping();
        ServiceDefinition warm = registered(service("warm").build());
        lease(warm).release();
        ServiceDefinition cold = registered(service("cold").build());

        PostgresServer server = postgres.ownedServer();
        server.stop();
        assertThat(jdbc.call("ping", SharedInstancesOutageTest::select))
                .failsWithin(Duration.ofSeconds(30)); // the link learns of the outage from a call
        AcquireFailure refused = failureOf(acquire(cold));
        assertThat(refused.reason()).isEqualTo(AcquireFailure.Reason.UNAVAILABLE);
        assertThat(refused.getMessage()).startsWith("service cold: no instance can be started while the shared"
                + " database " + endpoint.redactedUrl() + " is unreachable");
        assertThat(lease(warm).instanceId()).isNotNull();

        server.startAgain();
        ping();
        assertThat(lease(cold).instanceId()).isNotNull();
        assertThat(runtime.creates()).isEqualTo(2);
    }

    private static boolean select(Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            return statement.execute("SELECT 1");
        }
    }

    /** A call that reaches the database, retried until it does (a pool refills after a restart). */
    private void ping() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            try {
                jdbc.call("ping", SharedInstancesOutageTest::select).get(10, TimeUnit.SECONDS);
                return;
            } catch (Exception notYet) {
                assertThat(System.nanoTime()).as("the database answers again").isLessThan(deadline);
                Thread.sleep(100);
            }
        }
    }
}
