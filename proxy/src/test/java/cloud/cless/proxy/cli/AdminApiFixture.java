package cloud.cless.proxy.cli;

import cloud.cless.core.testing.ListedInstances;
import cloud.cless.admin.AdminPipeline;
import cloud.cless.core.cluster.ClusterSnapshot;
import cloud.cless.admin.AdminServer;
import cloud.cless.admin.AdminToken;
import cloud.cless.core.service.DefinitionDefaults;
import cloud.cless.core.service.ServiceRegistry;
import cloud.cless.core.service.ServiceValidator;
import cloud.cless.core.store.MemoryServiceStore;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/** The real admin API on a free 127.0.0.1 port, over an in-memory registry and listed instances. */
final class AdminApiFixture implements AutoCloseable {
    static final String TOKEN = "cli-test-token-0123456789";

    final ExecutorService blocking = Executors.newSingleThreadExecutor(r -> new Thread(r, "cli-test-blocking"));
    final ServiceRegistry registry = new ServiceRegistry(new MemoryServiceStore(), new ServiceValidator(),
            new DefinitionDefaults("localhost", 300, 30), blocking);
    final ListedInstances instances = new ListedInstances();
    /** What {@code GET /cluster} answers; a test sets the snapshot it wants. */
    volatile ClusterSnapshot cluster;
    private final MultiThreadIoEventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final AdminServer server = new AdminServer(0, group, NioServerSocketChannel.class,
            new AdminPipeline(registry, instances, AdminToken.of(TOKEN),
                    new PrometheusMeterRegistry(PrometheusConfig.DEFAULT),
                    () -> CompletableFuture.completedFuture(cluster)));
    final String url;

    AdminApiFixture() {
        url = "http://127.0.0.1:" + server.start().join().getPort();
    }

    @Override
    public void close() throws InterruptedException {
        server.close();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        blocking.shutdown();
        if (!blocking.awaitTermination(10, TimeUnit.SECONDS)) {
            throw new IllegalStateException("blocking executor did not stop");
        }
    }
}
