package cloud.cless.admin;

import cloud.cless.core.testing.ListedInstances;
import cloud.cless.core.service.DefinitionDefaults;
import cloud.cless.core.service.ServiceRegistry;
import cloud.cless.core.service.ServiceValidator;
import cloud.cless.core.store.MemoryServiceStore;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
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
    final AdminPipeline pipeline = new AdminPipeline(registry, instances, AdminToken.of(TOKEN), metrics);

    @Override
    public void close() throws InterruptedException {
        blocking.shutdown();
        if (!blocking.awaitTermination(10, TimeUnit.SECONDS)) {
            throw new IllegalStateException("blocking executor did not stop");
        }
    }
}
