package cloud.cless.admin;

import cloud.cless.core.cluster.ClusterSnapshot;
import cloud.cless.core.cluster.ClusterStatus;
import cloud.cless.core.cluster.ReplicaStatus;
import cloud.cless.core.testing.ListedInstances;
import cloud.cless.core.service.DefinitionDefaults;
import cloud.cless.core.service.ServiceRegistry;
import cloud.cless.core.service.ServiceValidator;
import cloud.cless.core.store.MemoryServiceStore;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/** The admin API's real collaborators, in memory: registry, validator, defaults for {@code localhost}. */
final class AdminFixture implements AutoCloseable {
    static final String TOKEN = "test-token-0123456789";

    final ExecutorService blocking = Executors.newSingleThreadExecutor(r -> new Thread(r, "admin-test-blocking"));
    final ServiceRegistry registry = new ServiceRegistry(new MemoryServiceStore(), new ServiceValidator(),
            new DefinitionDefaults("localhost", 300, 30), blocking);
    final ListedInstances instances = new ListedInstances();
    final PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    /** What {@code GET /cluster} answers; a test sets the snapshot it wants. */
    volatile ClusterSnapshot cluster = ONE_HOST;
    final ClusterStatus clusterStatus = () -> CompletableFuture.completedFuture(cluster);
    final AdminPipeline pipeline = new AdminPipeline(registry, instances, AdminToken.of(TOKEN), metrics,
            clusterStatus);

    static final ClusterSnapshot ONE_HOST = new ClusterSnapshot("host-00000001", "host-00000001", null,
            Instant.parse("2026-01-01T12:00:00Z"), List.of(new ReplicaStatus("host-00000001", "host:80",
                    "10.0.0.5:80", Instant.parse("2026-01-01T11:00:00Z"), Instant.parse("2026-01-01T12:00:00Z"),
                    ReplicaStatus.State.LIVE, Map.of())), null);

    @Override
    public void close() throws InterruptedException {
        blocking.shutdown();
        if (!blocking.awaitTermination(10, TimeUnit.SECONDS)) {
            throw new IllegalStateException("blocking executor did not stop");
        }
    }
}
