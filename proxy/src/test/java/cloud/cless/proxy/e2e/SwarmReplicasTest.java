package cloud.cless.proxy.e2e;

import static cloud.cless.core.testing.Futures.await;
import static org.assertj.core.api.Assertions.assertThat;

import cloud.cless.core.runtime.swarm.SwarmService;
import cloud.cless.core.runtime.swarm.SwarmServiceSpec;
import cloud.cless.core.runtime.swarm.SwarmTask;
import cloud.cless.core.store.ClusterIdentity;
import cloud.cless.core.testing.PostgresSupport;
import cloud.cless.core.testing.SwarmSupport;
import cloud.cless.core.testing.TestImages;
import cloud.cless.core.testing.Waits;
import cloud.cless.proxy.ClessServer;
import cloud.cless.proxy.IoMode;
import cloud.cless.proxy.ServerConfig;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three cless replicas wired as {@code cless serve --store postgres --runtime swarm} makes them, sharing one real
 * PostgreSQL and one real swarm (on a private engine): a herd of first requests spread over the three starts one
 * task, and the leader scales the revision to zero only once every replica has been idle on it.
 */
class SwarmReplicasTest {
    private static final String TOKEN = "swarm-replicas-token";
    private static final Duration WAIT = Duration.ofSeconds(60);
    /** First requests sent at once, spread over the three replicas. */
    private static final int HERD = 300;

    @RegisterExtension
    static final PostgresSupport postgres = PostgresSupport.sharedServer();

    @RegisterExtension
    static final SwarmSupport swarm = new SwarmSupport();


    @TempDir
    Path dir;

    private final List<ClessServer> replicas = new ArrayList<>();
    private final ExecutorService clients = Executors.newFixedThreadPool(HERD);
    private String storeUrl;
    private String clusterId;

    @BeforeEach
    void start() throws IOException {
        storeUrl = postgres.freshDatabase();
        for (String name : List.of("a", "b", "c")) {
            replicas.add(replica(name));
        }
        clusterId = ClusterIdentity.read(postgres.endpoint(storeUrl, "test"));
    }

    @AfterEach
    void stop() {
        clients.shutdownNow();
        Collections.reverse(replicas);
        replicas.forEach(ClessServer::close);
        for (SwarmService left : await(swarm.client().listManaged(clusterId))) {
            await(swarm.client().removeService(left.name()));
        }
    }

    @Test
    void aHerdOfFirstRequestsOverThreeReplicasStartsOneTask() throws Exception {
        register("herd", 300);
        List<Future<RawHttp.Response>> herd = new ArrayList<>();
        for (int i = 0; i < HERD; i++) {
            ClessServer through = replicas.get(i % replicas.size());
            herd.add(clients.submit(() -> RawHttp.get(proxy(through), "herd.localhost", "/")));
        }
        for (Future<RawHttp.Response> response : herd) {
            RawHttp.Response answer = response.get(90, TimeUnit.SECONDS);
            assertThat(answer.status()).as("body %s", answer.body()).isEqualTo(200);
            assertThat(answer.body()).contains(TestImages.HELLO_BODY);
        }

        assertThat(replicasOf("herd-00001")).isEqualTo(1);
        assertThat(runningTasks("herd-00001")).hasSize(1);
    }

    @Test
    void theLeaderScalesToZeroOnlyOnceEveryReplicaIsIdle() throws Exception {
        register("steady", 2);
        assertHello(RawHttp.get(proxy(replicas.get(0)), "steady.localhost", "/"));
        String task = runningTasks("steady-00001").get(0).id();

        // Steady load through one replica, for several idle timeouts, while the others have none.
        long until = System.nanoTime() + Duration.ofSeconds(8).toNanos();
        while (System.nanoTime() < until) {
            assertHello(RawHttp.get(proxy(replicas.get(1)), "steady.localhost", "/"));
            Thread.sleep(200);
        }
        assertThat(runningTasks("steady-00001")).extracting(SwarmTask::id).containsExactly(task);
        assertThat(replicasOf("steady-00001")).isEqualTo(1);

        Waits.until(WAIT, "scaled to zero once idle everywhere", () -> replicasOf("steady-00001") == 0);
        assertHello(RawHttp.get(proxy(replicas.get(2)), "steady.localhost", "/"));
    }

    private void register(String name, int idleTimeoutSeconds) throws IOException {
        RawHttp.Response created = RawHttp.request(admin(replicas.get(0)), "POST", "127.0.0.1", "/serviceDefinitions",
                TOKEN, "{\"name\":\"" + name + "\",\"image_name\":\"cless-test/hello\",\"max_instances\":3,"
                        + "\"idle_timeout_seconds\":" + idleTimeoutSeconds + "}");
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        // Every replica has it (the change feed tells each within a second) and its service is made.
        for (ClessServer replica : replicas) {
            Waits.until(WAIT, "the service known to " + replica.proxyAddress(),
                    () -> replica.registry().get(name).isPresent());
        }
        Waits.until(WAIT, "the revision's swarm service", () -> await(swarm.client().listManaged(clusterId)).stream()
                .anyMatch(s -> s.name().equals(SwarmServiceSpec.nameFor(name + "-00001"))));
    }

    private ClessServer replica(String name) throws IOException {
        Path dataDir = Files.createDirectories(dir.resolve(name));
        ServerConfig config = new ServerConfig("127.0.0.1", 0, "localhost", null, -1, TOKEN, dataDir,
                ServerConfig.StoreKind.POSTGRES, swarm.dockerHost(), "20000-20099", Duration.ofMinutes(5),
                Duration.ofSeconds(30), 16 * 1024, Duration.ofSeconds(10), Duration.ofSeconds(2), IoMode.AUTO, 2,
                false, Duration.ofSeconds(1), 100, Duration.ofSeconds(30), 10,
                storeUrl + "&password=" + postgres.password()).withRuntime(ServerConfig.RuntimeKind.SWARM);
        return new ClessServer(config).start();
    }

    private static void assertHello(RawHttp.Response response) {
        assertThat(response.status()).as("status, body '%s'", response.body()).isEqualTo(200);
        assertThat(response.body()).contains(TestImages.HELLO_BODY);
    }

    private static InetSocketAddress proxy(ClessServer replica) {
        return new InetSocketAddress("127.0.0.1", replica.proxyAddress().getPort());
    }

    private static InetSocketAddress admin(ClessServer replica) {
        return new InetSocketAddress("127.0.0.1", replica.adminAddress().getPort());
    }

    private static int replicasOf(String revision) {
        return await(swarm.client().service(SwarmServiceSpec.nameFor(revision))).replicas();
    }

    private static List<SwarmTask> runningTasks(String revision) {
        return await(swarm.client().tasks(SwarmServiceSpec.nameFor(revision))).stream().filter(SwarmTask::isRunning)
                .toList();
    }
}
