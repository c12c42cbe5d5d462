package cloud.cless.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import cloud.cless.core.instance.InstanceLease;
import cloud.cless.core.metrics.ClessMetrics;
import cloud.cless.core.service.DefinitionDefaults;
import cloud.cless.core.service.ServiceDefinition;
import cloud.cless.core.service.ServiceRegistry;
import cloud.cless.core.service.ServiceValidator;
import cloud.cless.core.store.MemoryServiceStore;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.uring.IoUring;
import io.netty.util.concurrent.Promise;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class TransportTest {

    @Test
    void autoPrefersIoUringThenEpoll() {
        assertThat(Transport.select(IoMode.AUTO).mode()).isEqualTo(
                IoUring.isAvailable() ? IoMode.IO_URING : Epoll.isAvailable() ? IoMode.EPOLL : IoMode.NIO);
    }

    @Test
    void parsesTheIoFlag() {
        assertThat(IoMode.parse("io_uring")).isEqualTo(IoMode.IO_URING);
        assertThat(IoMode.parse("io-uring")).isEqualTo(IoMode.IO_URING);
        assertThat(IoMode.parse(" Epoll ")).isEqualTo(IoMode.EPOLL);
        assertThatThrownBy(() -> IoMode.parse("kqueue")).hasMessageContaining("expected auto, epoll, io_uring or nio");
    }

    @ParameterizedTest
    @EnumSource(IoMode.class)
    void relaysThroughEveryAvailableTransport(IoMode mode) throws Exception {
        throughProxy(mode, socket -> {
            TestBackend.readHead(socket.getInputStream());
            TestBackend.write(socket, TestBackend.ok("via " + mode));
        }, client -> {
            TestBackend.write(client, "GET / HTTP/1.1\r\nHost: hello.localhost\r\n\r\n");
            InputStream in = new BufferedInputStream(client.getInputStream());
            String head = TestBackend.readHead(in);
            assertThat(TestBackend.readBody(in, TestBackend.contentLength(head))).isEqualTo("via " + mode);
        });
    }

    private static final String UPGRADE = "GET /ws HTTP/1.1\r\nHost: hello.localhost\r\nConnection: Upgrade\r\n"
            + "Upgrade: echo\r\n\r\n";
    private static final String SWITCHED = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n";

    @ParameterizedTest
    @EnumSource(IoMode.class)
    void framesChunkedBodiesAndReusesTheUpstreamConnectionOnEveryAvailableTransport(IoMode mode) throws Exception {
        AtomicInteger connections = new AtomicInteger();
        List<String> backendSaw = new CopyOnWriteArrayList<>();
        throughProxy(mode, socket -> {
            connections.incrementAndGet();
            InputStream in = new BufferedInputStream(socket.getInputStream());
            String head;
            while ((head = TestBackend.readHead(in)) != null) {
                String body = new String(HttpBackend.readBody(head, in), StandardCharsets.ISO_8859_1);
                TestBackend.write(socket, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                        + Integer.toHexString(body.length()) + "\r\n" + body + "\r\n0\r\n\r\n");
                backendSaw.add(body);
            }
        }, client -> {
            InputStream in = new BufferedInputStream(client.getInputStream());
            for (int i = 0; i < 3; i++) {
                TestBackend.write(client, "POST / HTTP/1.1\r\nHost: hello.localhost\r\nTransfer-Encoding: chunked\r\n\r\n"
                        + "3\r\nab" + i + "\r\n0\r\n\r\n");
                TestBackend.readHead(in);
                String body = "3\r\nab" + i + "\r\n0\r\n\r\n";
                assertThat(new String(HttpBackend.readChunked(in), StandardCharsets.ISO_8859_1))
                        .isEqualTo(Integer.toHexString(body.length()) + "\r\n" + body + "\r\n0\r\n\r\n");
            }
        });
        assertThat(connections.get()).isEqualTo(1);
        assertThat(backendSaw).containsExactly("3\r\nab0\r\n0\r\n\r\n", "3\r\nab1\r\n0\r\n\r\n",
                "3\r\nab2\r\n0\r\n\r\n");
    }

    @ParameterizedTest
    @EnumSource(IoMode.class)
    void answersAClientThatEndedItsSideAfterTheRequestThenClosesOnEveryAvailableTransport(IoMode mode)
            throws Exception {
        throughProxy(mode, socket -> {
            TestBackend.readHead(socket.getInputStream());
            TestBackend.write(socket, TestBackend.ok("after FIN via " + mode));
        }, client -> {
            TestBackend.write(client, "GET / HTTP/1.1\r\nHost: hello.localhost\r\n\r\n");
            client.shutdownOutput();
            assertThat(readToEnd(client)).startsWith("HTTP/1.1 200 OK\r\n").endsWith("after FIN via " + mode);
        });
    }

    @ParameterizedTest
    @EnumSource(IoMode.class)
    void passesHalfCloseBothWaysThroughATunnelOnEveryAvailableTransport(IoMode mode) throws Exception {
        CompletableFuture<String> backendSaw = new CompletableFuture<>();
        throughProxy(mode, socket -> {
            InputStream in = socket.getInputStream();
            TestBackend.readHead(in);
            TestBackend.write(socket, SWITCHED);
            backendSaw.complete(new String(in.readAllBytes(), StandardCharsets.ISO_8859_1)); // the client's FIN ends this
            TestBackend.write(socket, "after EOF via " + mode);
            socket.shutdownOutput();
        }, client -> {
            TestBackend.write(client, UPGRADE);
            InputStream in = client.getInputStream();
            assertThat(TestBackend.readHead(in)).isEqualTo(SWITCHED);
            TestBackend.write(client, "tunnelled bytes");
            client.shutdownOutput();
            assertThat(new String(in.readAllBytes(), StandardCharsets.ISO_8859_1)).isEqualTo("after EOF via " + mode);
        });
        assertThat(backendSaw.get(10, TimeUnit.SECONDS)).isEqualTo("tunnelled bytes");
    }

    @ParameterizedTest
    @EnumSource(IoMode.class)
    void carriesTheClientsBytesAfterTheAppsFinThroughATunnelOnEveryAvailableTransport(IoMode mode) throws Exception {
        CompletableFuture<String> backendSaw = new CompletableFuture<>();
        throughProxy(mode, socket -> {
            InputStream in = socket.getInputStream();
            TestBackend.readHead(in);
            TestBackend.write(socket, SWITCHED + "first via " + mode);
            socket.shutdownOutput();
            backendSaw.complete(new String(in.readAllBytes(), StandardCharsets.ISO_8859_1));
        }, client -> {
            TestBackend.write(client, UPGRADE);
            assertThat(readToEnd(client)).isEqualTo(SWITCHED + "first via " + mode);
            TestBackend.write(client, "late");
            client.shutdownOutput();
            assertThat(backendSaw.get(10, TimeUnit.SECONDS)).isEqualTo("late");
        });
    }

    @ParameterizedTest
    @EnumSource(IoMode.class)
    void aClientThatLeavesWhileItsRequestWaitsGivesItsPlaceUpOnEveryAvailableTransport(IoMode mode)
            throws Exception {
        Optional<Transport> available = AvailableTransports.select(mode);
        if (available.isEmpty()) {
            return;
        }
        try (ProxyFixture proxy = new ProxyFixture(available.get(), 1)) {
            proxy.start(ProxyFixture.config());
            proxy.instances.holdAcquires();
            try (TestClient hangsUp = proxy.client()) {
                hangsUp.send("GET / HTTP/1.1\r\nHost: hello.localhost\r\n\r\n");
                proxy.instances.awaitHeld(1);
                hangsUp.socket.shutdownOutput(); // a FIN, as a client that closes its socket sends
                assertThat(hangsUp.closedByPeer()).isTrue();
            }
            try (TestClient resets = proxy.client()) {
                resets.send("GET / HTTP/1.1\r\nHost: hello.localhost\r\n\r\n");
                proxy.instances.awaitHeld(2);
                resets.socket.setSoLinger(true, 0);
            }
            for (Promise<InstanceLease> promise : proxy.instances.held) {
                assertThat(promise.await(10, TimeUnit.SECONDS)).as("noticed on %s", mode).isTrue();
                assertThat(promise.isCancelled()).as("its place given up").isTrue();
            }
        }
    }

    private interface ClientSide {
        void talk(Socket client) throws Exception;
    }

    /** Runs {@code client} against a proxy on {@code mode}'s transport whose one service is {@code backendSide}. */
    private static void throughProxy(IoMode mode, TestBackend.Handler backendSide, ClientSide client)
            throws Exception {
        Optional<Transport> available = AvailableTransports.select(mode);
        if (available.isEmpty()) {
            return;
        }
        Transport transport = available.get();
        EventLoopGroup group = transport.newEventLoopGroup(1);
        FakeInstanceManager instances = new FakeInstanceManager();
        ServiceRegistry registry = new ServiceRegistry(new MemoryServiceStore(), new ServiceValidator(),
                new DefinitionDefaults("localhost", 300, 30), Runnable::run);
        registry.create(ServiceDefinition.builder("hello").imageName("cless-test/hello").build()).join();
        try (TestBackend backend = new TestBackend(backendSide)) {
            instances.leaseTo(backend.address());
            ProxyServer proxy = new ProxyServer(ProxyConfig.defaults("127.0.0.1", 0, "localhost"), transport, group,
                    registry, instances, channel -> { }, new ClessMetrics(new SimpleMeterRegistry()));
            try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), proxy.start().getPort())) {
                socket.setSoTimeout(10_000);
                client.talk(socket);
            } finally {
                proxy.close();
            }
            assertThat(backend.failures).isEmpty();
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    private static String readToEnd(Socket socket) throws IOException {
        return new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
    }
}
