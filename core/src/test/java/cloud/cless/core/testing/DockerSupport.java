package cloud.cless.core.testing;

import cloud.cless.core.runtime.ContainerLabels;
import cloud.cless.core.runtime.DockerContainerRuntime;
import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.httpclient5.ApacheDockerHttpClient;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The real Docker engine for tests: makes sure it runs (starting dockerd when it can, failing otherwise, never
 * skipping), gives each test class its own installation id, and removes that installation's containers afterwards.
 *
 * <p>Use it as an extension: {@code @RegisterExtension static final DockerSupport docker = new DockerSupport();}
 * Before the class it ensures the engine and the {@link TestImages}; after the class it removes every container
 * labelled with {@link #installationId()}.
 */
public final class DockerSupport implements BeforeAllCallback, AfterAllCallback {
    private static final Duration ENGINE_START_TIMEOUT = Duration.ofSeconds(20);
    private static final Path DOCKERD_LOG = Path.of("/tmp/dockerd.log");
    private static final int TEST_PORTS_FIRST = 30000;
    private static final int TEST_PORTS_LAST = 39999;

    private final String installationId = newInstallationId();

    /** This test class's installation id: label every container the test creates with it. */
    public String installationId() {
        return installationId;
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        ensureEngine();
        TestImages.ensureBuilt();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        cleanup(installationId);
    }

    /** A fresh random installation id, e.g. {@code test-3fa4c2b19e0d}. */
    public static String newInstallationId() {
        byte[] raw = new byte[6];
        ThreadLocalRandom.current().nextBytes(raw);
        return "test-" + HexFormat.of().formatHex(raw);
    }

    /** The engine tests talk to: {@code DOCKER_HOST}, else the local socket. */
    public static String dockerHost() {
        return DockerContainerRuntime.resolveHost(null);
    }

    /** A docker-java client on {@link #dockerHost()}, for inspecting containers in tests; the caller closes it. */
    public static DockerClient newClient() {
        return newClient(dockerHost());
    }

    /** A docker-java client on the engine at {@code host}; the caller closes it. */
    public static DockerClient newClient(String host) {
        DefaultDockerClientConfig config = DefaultDockerClientConfig.createDefaultConfigBuilder()
                .withDockerHost(host)
                .build();
        ApacheDockerHttpClient http = new ApacheDockerHttpClient.Builder()
                .dockerHost(URI.create(host))
                .sslConfig(config.getSSLConfig())
                .connectionTimeout(Duration.ofSeconds(2))
                .responseTimeout(Duration.ofMinutes(2))
                .build();
        return DockerClientImpl.getInstance(config, http);
    }

    /**
     * Makes sure the engine answers. When it does not and the host is the local socket, starts {@code dockerd}
     * detached (as DOCKER.md does) and waits for it. Throws AssertionError with the reason when there is no engine:
     * Docker tests fail, they never skip.
     */
    public static synchronized void ensureEngine() {
        String host = dockerHost();
        String firstFailure = ping(host);
        if (firstFailure == null) {
            return;
        }
        if (!host.startsWith("unix://")) {
            throw new AssertionError("the Docker engine at " + host + " does not answer: " + firstFailure);
        }
        startDockerd(firstFailure);
        long deadline = System.nanoTime() + ENGINE_START_TIMEOUT.toNanos();
        String failure = firstFailure;
        while (System.nanoTime() < deadline) {
            failure = ping(host);
            if (failure == null) {
                return;
            }
            sleep(Duration.ofMillis(200));
        }
        throw new AssertionError("the Docker engine at " + host + " did not come up within "
                + ENGINE_START_TIMEOUT.toSeconds() + " s after starting dockerd (see " + DOCKERD_LOG + "): " + failure);
    }

    private static void startDockerd(String why) {
        ProcessBuilder dockerd = new ProcessBuilder("setsid", "dockerd")
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(DOCKERD_LOG.toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        try {
            // setsid detaches it: the daemon outlives this JVM and is shared by every later test run.
            dockerd.start();
        } catch (IOException e) {
            throw new AssertionError("the Docker engine does not answer (" + why + ") and dockerd could not be started"
                    + " (install docker.io, see DOCKER.md): " + e.getMessage(), e);
        }
    }

    /** Null when the engine answers a ping, else why not. */
    private static String ping(String host) {
        try (DockerClient client = newClient()) {
            client.pingCmd().exec();
            return null;
        } catch (Exception e) {
            Throwable root = e;
            while (root.getCause() != null && root.getCause() != root) {
                root = root.getCause();
            }
            return root.getClass().getSimpleName() + ": " + root.getMessage();
        }
    }

    /** Force-removes every container labelled with this installation id (running or not); for test teardown. */
    public static void cleanup(String installationId) {
        try (DockerClient client = newClient()) {
            List<Container> containers = client.listContainersCmd()
                    .withShowAll(true)
                    .withLabelFilter(Map.of(ContainerLabels.INSTALLATION, installationId))
                    .exec();
            for (Container container : containers) {
                try {
                    client.removeContainerCmd(container.getId()).withForce(true).withRemoveVolumes(true).exec();
                } catch (NotFoundException alreadyGone) {
                    // removed by the test itself in the meantime
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A port in the test range 30000-39999 that is free on 127.0.0.1 right now, picked at random so that parallel
     * test runs rarely collide; for publishing a container's port.
     */
    public static int freeHostPort() {
        for (int attempt = 0; attempt < 200; attempt++) {
            int port = ThreadLocalRandom.current().nextInt(TEST_PORTS_FIRST, TEST_PORTS_LAST + 1);
            try (ServerSocket socket = new ServerSocket()) {
                socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
                return port;
            } catch (IOException taken) {
                // try another
            }
        }
        throw new AssertionError("no free port in " + TEST_PORTS_FIRST + "-" + TEST_PORTS_LAST);
    }

    /**
     * Sends {@code GET path HTTP/1.0} to 127.0.0.1:port until a response arrives, and returns the whole raw response
     * (status line, headers, body). Docker's userland proxy accepts on a published port before the app inside
     * listens and then resets, so refused, reset and empty answers are retried until {@code timeout}.
     */
    public static String awaitHttp(int port, String path, Duration timeout) {
        return awaitHttp(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), path, timeout);
    }

    /** As {@link #awaitHttp(int, String, Duration)}, to another address of this machine (a test namespace's). */
    public static String awaitHttp(InetSocketAddress target, String path, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        String lastFailure = "no attempt";
        while (System.nanoTime() < deadline) {
            try {
                String response = exchange(target, getRequest(path));
                if (!response.isEmpty()) {
                    return response;
                }
                lastFailure = "connection closed without a response";
            } catch (IOException e) {
                lastFailure = e.toString();
            }
            sleep(Duration.ofMillis(50));
        }
        throw new AssertionError("no HTTP response from " + target.getHostString() + ":" + target.getPort() + path
                + " within " + timeout + ": " + lastFailure);
    }

    /** One {@code GET path HTTP/1.0} to 127.0.0.1:port; returns the raw response, empty when none came. */
    public static String httpGet(int port, String path) throws IOException {
        return exchange(port, getRequest(path));
    }

    private static String getRequest(String path) {
        return "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
    }

    /**
     * Sends {@code request} as it is to 127.0.0.1:port, half-closes, and returns everything that comes back until
     * the server closes (UTF-8); empty when nothing came.
     */
    public static String exchange(int port, String request) throws IOException {
        return exchange(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), request);
    }

    /** As {@link #exchange(int, String)}, to another address of this machine (a test namespace's). */
    public static String exchange(InetSocketAddress target, String request) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(target, 2000);
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write(request.getBytes(StandardCharsets.UTF_8));
            out.flush();
            socket.shutdownOutput();
            InputStream in = socket.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    static void sleep(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    static Path createTempDirectory(String prefix) {
        try {
            return Files.createTempDirectory(prefix);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
