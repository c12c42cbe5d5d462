package cloud.cless.core.testing;

import cloud.cless.core.runtime.swarm.SwarmClient;
import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.SaveImagesCmd;
import com.github.dockerjava.api.model.SwarmSpec;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.opentest4j.TestAbortedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real single-node Docker Swarm for a test class, on a Docker engine of its own in a network namespace of its own
 * (see {@code scripts/swarm-engine.sh}): the shared engine never joins a swarm and is left as it was.
 *
 * <p>Use it as an extension: {@code @RegisterExtension static final SwarmSupport swarm = new SwarmSupport();}
 * Before the class it starts the engine, makes it a swarm manager advertising its namespace's address, and loads the
 * {@link TestImages} into it from the shared engine; after the class (or when the JVM exits first) it removes the
 * engine, its namespaces and its files. Tasks publish their ports on {@link #nodeAddress()}, which this machine
 * reaches over a veth pair. Needs root; when it cannot be had, the tests fail under {@code CI=true} and are skipped
 * with the reason elsewhere. Once the prerequisites are there, any failure to start fails the tests.
 */
public final class SwarmSupport implements BeforeAllCallback, AfterAllCallback {
    private static final Logger log = LoggerFactory.getLogger(SwarmSupport.class);
    private static final Path SCRIPT = Path.of("scripts", "swarm-engine.sh");
    private static final Duration SCRIPT_TIMEOUT = Duration.ofSeconds(90);
    private static final Pattern ENGINE_LINE = Pattern.compile("(?m)^(\\d+\\.\\d+\\.\\d+\\.\\d+) (unix://\\S+)$");
    private static final int NETWORK_ATTEMPTS = 4;
    private static final List<String> IMAGES = List.of(TestImages.HELLO, TestImages.SLOW_START, TestImages.ECHO);

    private final String installationId = DockerSupport.newInstallationId();
    // Set by start(), cleared by stop(); guarded by this.
    private Path script;
    private String network;
    private String dockerHost;
    private InetAddress nodeAddress;
    private Thread shutdownHook;
    private Duration startupTime;
    private ExecutorService clientCalls;
    private SwarmClient client;

    @Override
    public void beforeAll(ExtensionContext context) {
        start();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        stop();
    }

    /** This test class's installation id: the label value the swarm services of the test carry. */
    public String installationId() {
        return installationId;
    }

    /** The private engine, a swarm manager: {@code unix:///tmp/cless-swarm/<net>/n1/docker.sock}. */
    public synchronized String dockerHost() {
        return requireUp(dockerHost);
    }

    /** The node's address: where its tasks publish their ports, reachable from this machine. */
    public synchronized InetAddress nodeAddress() {
        return requireUp(nodeAddress);
    }

    /** How long the start took: namespace, engine, swarm init and image loads. */
    public synchronized Duration startupTime() {
        return requireUp(startupTime);
    }

    /** A docker-java client on the private engine, for checking what the swarm did; the caller closes it. */
    public DockerClient newClient() {
        return DockerSupport.newClient(dockerHost());
    }

    /** cless's own Swarm client on the private engine, for checking and clearing what a test made; closed with it. */
    public synchronized SwarmClient client() {
        if (client == null) {
            clientCalls = Executors.newFixedThreadPool(4);
            client = new SwarmClient(dockerHost(), clientCalls, SwarmClient.DEFAULT_CALL_TIMEOUT);
        }
        return client;
    }

    private synchronized void start() {
        script = findScript();
        String missing = missingPrerequisites();
        if (missing != null) {
            String reason = "a private Swarm engine cannot be started here: " + missing;
            if ("true".equals(System.getenv("CI"))) {
                throw new AssertionError(reason);
            }
            throw new TestAbortedException(reason);
        }
        TestImages.ensureBuilt();
        long started = System.nanoTime();
        run("sweep");
        shutdownHook = new Thread(this::stop, "swarm-support-shutdown");
        Runtime.getRuntime().addShutdownHook(shutdownHook);
        try {
            startEngine();
            long engineUp = System.nanoTime();
            try (DockerClient client = newClient()) {
                client.initializeSwarmCmd(new SwarmSpec())
                        .withListenAddr("0.0.0.0:2377")
                        .withAdvertiseAddr(nodeAddress.getHostAddress())
                        .exec();
                long swarmUp = System.nanoTime();
                loadImages(client);
                long done = System.nanoTime();
                startupTime = Duration.ofNanos(done - started);
                log.info("single-node swarm at {} ({}) up in {} ms: engine {} ms, swarm init {} ms, images {} ms",
                        nodeAddress.getHostAddress(), dockerHost, startupTime.toMillis(), millis(started, engineUp),
                        millis(engineUp, swarmUp), millis(swarmUp, done));
            }
        } catch (RuntimeException | Error e) {
            stop();
            throw e;
        } catch (IOException e) {
            stop();
            throw new UncheckedIOException(e);
        }
    }

    /** Network and engine on a random free /24 of 10.214.0.0/16 (another run may hold the one picked first). */
    private void startEngine() {
        String lastFailure = null;
        for (int attempt = 0; attempt < NETWORK_ATTEMPTS; attempt++) {
            byte[] raw = new byte[3];
            ThreadLocalRandom.current().nextBytes(raw);
            String name = "t" + HexFormat.of().formatHex(raw);
            String prefix = "10.214." + ThreadLocalRandom.current().nextInt(256);
            try {
                run("net-up", name, prefix, Long.toString(ProcessHandle.current().pid()));
            } catch (AssertionError e) {
                lastFailure = e.getMessage();
                continue;
            }
            network = name;
            String output = run("engine-up", name, "n1", "1");
            Matcher engine = ENGINE_LINE.matcher(output);
            if (!engine.find()) {
                throw new AssertionError("swarm-engine.sh engine-up printed no address and socket: " + output);
            }
            try {
                nodeAddress = InetAddress.getByName(engine.group(1));
            } catch (UnknownHostException e) {
                throw new AssertionError("not an address: " + engine.group(1), e);
            }
            dockerHost = engine.group(2);
            return;
        }
        throw new AssertionError("no test network could be set up in " + NETWORK_ATTEMPTS + " attempts: "
                + lastFailure);
    }

    /** Streams the test images from the shared engine into the private one (no registry needed). */
    private static void loadImages(DockerClient node) throws IOException {
        try (DockerClient shared = DockerSupport.newClient()) {
            SaveImagesCmd save = shared.saveImagesCmd();
            for (String image : IMAGES) {
                int colon = image.lastIndexOf(':');
                save.withImage(image.substring(0, colon), image.substring(colon + 1));
            }
            try (InputStream tar = save.exec()) {
                node.loadImageCmd(tar).exec();
            }
        }
    }

    private synchronized void stop() {
        if (shutdownHook != null && Thread.currentThread() != shutdownHook) {
            try {
                Runtime.getRuntime().removeShutdownHook(shutdownHook);
            } catch (IllegalStateException exiting) {
                // the JVM is shutting down; the hook runs (or ran) this anyway
            }
        }
        shutdownHook = null;
        if (client != null) {
            client.close();
            clientCalls.shutdownNow();
            client = null;
            clientCalls = null;
        }
        if (network == null) {
            return;
        }
        long started = System.nanoTime();
        String name = network;
        network = null;
        dockerHost = null;
        nodeAddress = null;
        run("net-down", name);
        log.info("swarm test network {} removed in {} ms", name, millis(started, System.nanoTime()));
    }

    /** Runs the script with {@code args}; returns what it printed, or throws with that when it fails. */
    private String run(String... args) {
        List<String> command = new ArrayList<>();
        command.add(script.toString());
        command.addAll(List.of(args));
        return exec(command);
    }

    private static String exec(List<String> command) {
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            process.getOutputStream().close();
            byte[] output;
            try (InputStream in = process.getInputStream()) {
                // The script ends within its own bounds; the timeout below catches one that hangs after output.
                output = in.readAllBytes();
            }
            if (!process.waitFor(SCRIPT_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError(String.join(" ", command) + " did not finish within " + SCRIPT_TIMEOUT);
            }
            String text = new String(output, StandardCharsets.UTF_8);
            if (process.exitValue() != 0) {
                throw new AssertionError(String.join(" ", command) + " failed (exit " + process.exitValue() + "): "
                        + text.strip());
            }
            return text;
        } catch (IOException e) {
            throw new AssertionError("cannot run " + String.join(" ", command) + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while running " + String.join(" ", command), e);
        }
    }

    /** Null when this machine can run the private engine, else what is missing. */
    private static String missingPrerequisites() {
        String output = exec(List.of("sh", "-c", "[ \"$(id -u)\" = 0 ] || echo 'not root';"
                + " for tool in ip nsenter unshare setsid dockerd docker; do"
                + " command -v \"$tool\" >/dev/null 2>&1 || echo \"no $tool on PATH\"; done"));
        String problems = output.strip().replace('\n', ',');
        return problems.isEmpty() ? null : problems;
    }

    /** scripts/swarm-engine.sh of this checkout, found from the module directory the tests run in. */
    private static Path findScript() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolve(SCRIPT);
            if (Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        throw new AssertionError(SCRIPT + " not found above " + Path.of("").toAbsolutePath());
    }

    private <T> T requireUp(T value) {
        if (value == null) {
            throw new IllegalStateException("the swarm is not up (the extension starts it before the test class)");
        }
        return value;
    }

    private static long millis(long fromNanos, long toNanos) {
        return TimeUnit.NANOSECONDS.toMillis(toNanos - fromNanos);
    }
}
