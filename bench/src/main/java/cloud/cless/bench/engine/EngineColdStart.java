package cloud.cless.bench.engine;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.PortBinding;
import com.github.dockerjava.api.model.Ports;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.httpclient5.ApacheDockerHttpClient;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The engine's own cold-start times, the floor under cless's: per cycle, create a container through the Docker API
 * (docker-java, the client cless uses), start it and poll in this process until the app answers 200, then pause,
 * unpause and poll again, then remove it. The poll retries on cless's readiness-probe schedule, so the engine's
 * start-to-first-200 and cless's cold start wait for the app alike.
 *
 * <p>Prints one tab-separated line per measured cycle on stdout (times in ms) and the medians on stderr.
 */
@Command(name = "engine-coldstart", mixinStandardHelpOptions = true,
        description = "Times create, start-to-first-200 and unpause-to-first-200 through the Docker API.")
public final class EngineColdStart implements Callable<Integer> {
    @Option(names = "--image", required = true, description = "Image to start; it answers GET / with 200.")
    String image;

    @Option(names = "--port", defaultValue = "8080", description = "Port the app listens on in the container.")
    int containerPort;

    @Option(names = "--host-port", defaultValue = "18200",
            description = "First host port (on --address); cycle i publishes on this + i, so no cycle reuses one.")
    int firstHostPort;

    @Option(names = "--address", defaultValue = "127.0.0.1",
            description = "Address the port is published on and polled at (an engine in another network namespace"
                    + " publishes on that namespace's address).")
    String address;

    @Option(names = "--cycles", defaultValue = "20", description = "Measured cycles.")
    int cycles;

    @Option(names = "--warmup-cycles", defaultValue = "1",
            description = "Cycles run first and not reported (class loading, the engine's first-use costs).")
    int warmupCycles;

    @Option(names = "--label", defaultValue = "cloud.cless.bench=engine",
            description = "KEY=VALUE label on every container, for clean-up.")
    String label;

    @Option(names = "--docker-host", description = "Engine address (default: DOCKER_HOST, else the local socket).")
    String dockerHost;

    @Option(names = "--first-retry-ms", description = "Override the probe's first retry interval (default: read "
            + "from core's ReadinessProbe).")
    Long firstRetryMillis;

    @Option(names = "--max-retry-ms", description = "Override the probe's longest retry interval (default: read "
            + "from core's ReadinessProbe).")
    Long maxRetryMillis;

    @Option(names = "--attempt-timeout-ms", defaultValue = "2000",
            description = "Bound on one poll attempt (the probe's is 2 s).")
    int attemptTimeoutMillis;

    @Option(names = "--timeout-ms", defaultValue = "30000", description = "Give up a cycle after this long.")
    long timeoutMillis;

    /** The container of the cycle in progress, removed by the shutdown hook when the process is stopped. */
    private final AtomicReference<String> current = new AtomicReference<>();

    public static void main(String[] args) {
        // docker-java logs through SLF4J, which has no provider in the benchmarks jar: no warning about that.
        System.setProperty("slf4j.internal.verbosity", "ERROR");
        System.exit(new CommandLine(new EngineColdStart()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        ProbeSchedule schedule = schedule();
        System.err.printf(Locale.ROOT,
                "engine-coldstart: polling: first retry after %d ms, backing off to %d ms, read from %s%n",
                schedule.firstRetryMillis(), schedule.maxRetryMillis(), schedule.source());
        FirstResponsePoller poller = new FirstResponsePoller(schedule, attemptTimeoutMillis);
        String[] keyValue = label.split("=", 2);
        Map<String, String> labels = Map.of(keyValue[0], keyValue.length > 1 ? keyValue[1] : "");
        try (DockerClient docker = docker()) {
            Thread cleanup = new Thread(() -> remove(docker, current.get()), "engine-coldstart-cleanup");
            Runtime.getRuntime().addShutdownHook(cleanup);
            List<Cycle> measured = new ArrayList<>();
            PrintStream out = System.out;
            out.println("#create_ms\tstart_to_200_ms\tunpause_to_200_ms\tstart_attempts\tunpause_attempts");
            for (int i = 0; i < warmupCycles + cycles; i++) {
                Cycle cycle = cycle(docker, poller, labels, firstHostPort + i);
                if (i >= warmupCycles) {
                    measured.add(cycle);
                    out.printf(Locale.ROOT, "%.1f\t%.1f\t%.1f\t%d\t%d%n", cycle.createMillis(),
                            cycle.startToOkMillis(), cycle.unpauseToOkMillis(), cycle.startAttempts(),
                            cycle.unpauseAttempts());
                    out.flush();
                }
            }
            System.err.printf(Locale.ROOT,
                    "engine-coldstart: %d cycles, medians: create %.1f ms, start to first 200 %.1f ms (%.0f attempts), "
                            + "unpause to first 200 %.1f ms%n", measured.size(),
                    median(measured.stream().mapToDouble(Cycle::createMillis).toArray()),
                    median(measured.stream().mapToDouble(Cycle::startToOkMillis).toArray()),
                    median(measured.stream().mapToDouble(Cycle::startAttempts).toArray()),
                    median(measured.stream().mapToDouble(Cycle::unpauseToOkMillis).toArray()));
            Runtime.getRuntime().removeShutdownHook(cleanup);
        }
        return 0;
    }

    private Cycle cycle(DockerClient docker, FirstResponsePoller poller, Map<String, String> labels, int hostPort)
            throws Exception {
        ExposedPort exposed = ExposedPort.tcp(containerPort);
        InetSocketAddress target = new InetSocketAddress(address, hostPort);
        long t0 = System.nanoTime();
        String id = docker.createContainerCmd(image)
                .withLabels(labels)
                .withExposedPorts(exposed)
                .withHostConfig(HostConfig.newHostConfig().withPortBindings(
                        new PortBinding(Ports.Binding.bindIpAndPort(address, hostPort), exposed)))
                .exec().getId();
        current.set(id);
        try {
            long t1 = System.nanoTime();
            docker.startContainerCmd(id).exec();
            int startAttempts = poller.awaitOk(target, timeoutMillis);
            long t2 = System.nanoTime();
            docker.pauseContainerCmd(id).exec();
            long t3 = System.nanoTime();
            docker.unpauseContainerCmd(id).exec();
            int unpauseAttempts = poller.awaitOk(target, timeoutMillis);
            long t4 = System.nanoTime();
            return new Cycle(millis(t1 - t0), millis(t2 - t1), millis(t4 - t3), startAttempts, unpauseAttempts);
        } finally {
            remove(docker, id);
            current.compareAndSet(id, null);
        }
    }

    private static void remove(DockerClient docker, String id) {
        if (id == null) {
            return;
        }
        try {
            docker.removeContainerCmd(id).withForce(true).exec();
        } catch (RuntimeException e) {
            System.err.println("engine-coldstart: could not remove container " + id + ": " + e);
        }
    }

    private ProbeSchedule schedule() {
        if (firstRetryMillis != null && maxRetryMillis != null) {
            return new ProbeSchedule(firstRetryMillis, maxRetryMillis, "given on the command line");
        }
        ProbeSchedule probe = ProbeSchedule.ofReadinessProbe();
        return new ProbeSchedule(firstRetryMillis != null ? firstRetryMillis : probe.firstRetryMillis(),
                maxRetryMillis != null ? maxRetryMillis : probe.maxRetryMillis(), probe.source());
    }

    private DockerClient docker() {
        String host = dockerHost != null && !dockerHost.isBlank() ? dockerHost
                : System.getenv().getOrDefault("DOCKER_HOST", "unix:///var/run/docker.sock");
        DefaultDockerClientConfig config = DefaultDockerClientConfig.createDefaultConfigBuilder()
                .withDockerHost(host).build();
        ApacheDockerHttpClient http = new ApacheDockerHttpClient.Builder()
                .dockerHost(URI.create(host))
                .sslConfig(config.getSSLConfig())
                .connectionTimeout(Duration.ofSeconds(5))
                .responseTimeout(Duration.ofSeconds(60))
                .build();
        return DockerClientImpl.getInstance(config, http);
    }

    private static double millis(long nanos) {
        return nanos / 1e6;
    }

    static double median(double[] values) {
        if (values.length == 0) {
            return Double.NaN;
        }
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int mid = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    /** One measured cycle. */
    record Cycle(double createMillis, double startToOkMillis, double unpauseToOkMillis, int startAttempts,
                 int unpauseAttempts) {
    }
}
