package cloud.cless.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import cloud.cless.core.metrics.ClessMetrics;
import cloud.cless.core.service.DefinitionDefaults;
import cloud.cless.core.service.ServiceDefinition;
import cloud.cless.core.service.ServiceRegistry;
import cloud.cless.core.service.ServiceValidator;
import cloud.cless.core.store.MemoryServiceStore;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.EventLoopGroup;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.LoggerFactory;

/**
 * A proxy on 127.0.0.1 over real sockets, with services {@code hello} and {@code other} (hosts
 * {@code <name>.localhost}), a {@link FakeInstanceManager}, its own meters and a capture of the access log.
 */
final class ProxyFixture implements AutoCloseable {
    final FakeInstanceManager instances = new FakeInstanceManager();
    private final List<TestBackend> backends = new ArrayList<>();
    final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    final ClessMetrics metrics = new ClessMetrics(meters);
    final ListAppender<ILoggingEvent> accessLog = new ListAppender<>();
    final ServiceRegistry registry;
    final Transport transport;
    final EventLoopGroup group;
    ProxyServer proxy;
    int port;

    ProxyFixture(Transport transport, int threads) {
        this.transport = transport;
        this.group = transport.newEventLoopGroup(threads);
        registry = new ServiceRegistry(new MemoryServiceStore(), new ServiceValidator(),
                new DefinitionDefaults("localhost", 300, 30), Runnable::run);
        registry.create(ServiceDefinition.builder("hello").imageName("cless-test/hello").build()).join();
        registry.create(ServiceDefinition.builder("other").imageName("cless-test/hello").build()).join();
        accessLog.start();
        ((Logger) LoggerFactory.getLogger(AccessLog.LOGGER)).addAppender(accessLog);
    }

    /** Two event loops on the best transport here. */
    ProxyFixture() {
        this(Transport.select(IoMode.AUTO), 2);
    }

    static ProxyConfig config() {
        return ProxyConfig.defaults("127.0.0.1", 0, "localhost");
    }

    ProxyFixture start(ProxyConfig config) {
        if (proxy != null) {
            proxy.close();
        }
        proxy = new ProxyServer(config, transport, group, registry, instances, new EchoAdmin(), metrics);
        port = proxy.start().getPort();
        return this;
    }

    TestClient client() throws IOException {
        return TestClient.connect(port);
    }

    /** Waits for {@code count} access log lines (each is written when its request ended). */
    List<String> accessLines(int count) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            List<String> lines;
            synchronized (accessLog) {
                lines = accessLog.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
            }
            if (lines.size() >= count || System.nanoTime() > deadline) {
                assertThat(lines).hasSize(count);
                return lines;
            }
            Thread.sleep(5);
        }
    }

    double counted(String name, String... tags) {
        return meters.get(name).tags(tags).counter().count();
    }

    @Override
    public void close() {
        ((Logger) LoggerFactory.getLogger(AccessLog.LOGGER)).detachAppender(accessLog);
        if (proxy != null) {
            proxy.close();
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        for (TestBackend backend : backends) {
            try {
                backend.close();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            assertThat(backend.failures).as("what the backend saw go wrong").isEmpty();
        }
    }

    /** A backend every request is leased to from now on; {@link #close()} closes it and fails on its failures. */
    TestBackend backend(TestBackend.Handler handler) throws IOException {
        TestBackend backend = new TestBackend(handler);
        backends.add(backend);
        instances.leaseTo(backend.address());
        return backend;
    }
}
