package cloud.cless.core.runtime;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.exception.NotModifiedException;
import com.github.dockerjava.api.model.EventType;
import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.PortBinding;
import com.github.dockerjava.api.model.Ports;
import com.github.dockerjava.api.model.RestartPolicy;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.httpclient5.ApacheDockerHttpClient;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link ContainerRuntime} on a Docker engine, through docker-java and its Apache httpclient5 transport.
 *
 * <p>Quick calls (create, start, unpause, listing) run on {@link EngineExecutors#control()} through a client whose
 * socket gives up when the engine is silent for the control timeout; slow ones (stop, remove, pause, pull) on
 * {@link EngineExecutors#slow()} through a client that waits longer. Every call also has a deadline of its own.
 */
public final class DockerContainerRuntime implements ContainerRuntime {
    private static final Logger log = LoggerFactory.getLogger(DockerContainerRuntime.class);

    public static final String DEFAULT_DOCKER_HOST = "unix:///var/run/docker.sock";
    /** An engine that is down must be reported at once, not after the OS connect timeout. */
    public static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(2);
    /** How long a quick call may take: a healthy engine answers create or start well within it. */
    public static final Duration DEFAULT_CONTROL_TIMEOUT = Duration.ofSeconds(10);
    /** Removal and pause; a stop gets its grace period on top. */
    static final Duration SLOW_TIMEOUT = Duration.ofSeconds(30);
    /** The slow client's socket: longer than any stop's grace, and than the quiet spells of the event stream. */
    private static final Duration SLOW_RESPONSE_TIMEOUT = Duration.ofSeconds(60);
    public static final Duration DEFAULT_PULL_TIMEOUT = Duration.ofSeconds(60);
    private static final int MAX_CONNECTIONS = 50;
    /** A stop blocks for its grace period; keep it well inside the slow client's response timeout. */
    private static final int MAX_GRACE_SECONDS = 45;
    /** Processes a container may run: enough for any app, few enough that a fork bomb stays inside. */
    public static final long PIDS_LIMIT = 512;
    private static final String LOOPBACK = "127.0.0.1";

    private final String dockerHost;
    private final EngineExecutors executors;
    private final Duration controlTimeout;
    private final Duration pullTimeout;
    private final DockerClient control;
    private final DockerClient slow;
    private final DockerFailures failures;
    private final EngineCalls calls;
    private final DockerSurvey survey = new DockerSurvey();

    /**
     * @param dockerHost the engine's address ({@code unix:///...} or {@code tcp://host:port}); null means
     *                   {@code DOCKER_HOST}, else the local socket
     * @param executors  run every engine call; owned by the caller, who closes them after {@link #close()}
     */
    public DockerContainerRuntime(String dockerHost, EngineExecutors executors) {
        this(dockerHost, executors, DEFAULT_CONTROL_TIMEOUT, DEFAULT_PULL_TIMEOUT);
    }

    /**
     * As {@link #DockerContainerRuntime(String, EngineExecutors)}, with the deadline of quick calls and a bound on
     * the one pull of a missing image.
     */
    public DockerContainerRuntime(String dockerHost, EngineExecutors executors, Duration controlTimeout,
                                  Duration pullTimeout) {
        this.dockerHost = resolveHost(dockerHost);
        this.executors = executors;
        this.controlTimeout = controlTimeout;
        this.pullTimeout = pullTimeout;
        this.failures = new DockerFailures(this.dockerHost);
        this.calls = new EngineCalls(failures);
        this.control = newClient(this.dockerHost, controlTimeout);
        this.slow = newClient(this.dockerHost, SLOW_RESPONSE_TIMEOUT);
    }

    private static DockerClient newClient(String dockerHost, Duration responseTimeout) {
        DefaultDockerClientConfig config = DefaultDockerClientConfig.createDefaultConfigBuilder()
                .withDockerHost(dockerHost)
                .build();
        ApacheDockerHttpClient http = new ApacheDockerHttpClient.Builder()
                .dockerHost(URI.create(dockerHost))
                .sslConfig(config.getSSLConfig())
                .connectionTimeout(CONNECT_TIMEOUT)
                .responseTimeout(responseTimeout)
                .maxConnections(MAX_CONNECTIONS)
                .build();
        return DockerClientImpl.getInstance(config, http);
    }

    /** The explicit host, else {@code DOCKER_HOST}, else the local socket. */
    public static String resolveHost(String dockerHost) {
        if (dockerHost != null && !dockerHost.isBlank()) {
            return dockerHost.strip();
        }
        String fromEnv = System.getenv("DOCKER_HOST");
        return fromEnv != null && !fromEnv.isBlank() ? fromEnv.strip() : DEFAULT_DOCKER_HOST;
    }

    public String dockerHost() {
        return dockerHost;
    }

    @Override
    public CompletableFuture<String> create(ContainerSpec spec) {
        String operation = "create of container " + spec.name() + " (image " + spec.image() + ")";
        ImageReference image = ImageReference.parse(spec.image());
        // A missing image is pulled on the slow executor, so that a pull never holds a thread cold starts need.
        return quick(operation, () -> createUnlessMissing(spec)).thenCompose(id -> id != null
                ? CompletableFuture.completedFuture(id)
                : calls.run(executors.slow(), pullTimeout.plus(SLOW_TIMEOUT), "pull of image " + image,
                                () -> new ImagePull(slow, image, pullTimeout, failures).run(operation))
                        .thenCompose(pulled -> quick(operation, () -> {
                            String created = createUnlessMissing(spec);
                            if (created == null) {
                                throw ImagePull.notFound(spec.image(), "the engine still reports it missing", null);
                            }
                            return created;
                        })));
    }

    /** The new container's id, or null when the image is not present. */
    private String createUnlessMissing(ContainerSpec spec) {
        ExposedPort exposed = ExposedPort.tcp(spec.containerPort());
        HostConfig hostConfig = HostConfig.newHostConfig()
                // Published on loopback only: cless is the only way in.
                .withPortBindings(new PortBinding(Ports.Binding.bindIpAndPort(LOOPBACK, spec.hostPort()), exposed))
                .withPidsLimit(PIDS_LIMIT)
                .withSecurityOpts(List.of("no-new-privileges"))
                .withRestartPolicy(RestartPolicy.noRestart());
        if (spec.memoryMb() != null) {
            long bytes = spec.memoryMb() * 1024L * 1024L;
            // Swap equal to memory means no swap on top of the limit.
            hostConfig.withMemory(bytes).withMemorySwap(bytes);
        }
        if (spec.cpus() != null) {
            hostConfig.withNanoCPUs(Math.round(spec.cpus() * 1_000_000_000d));
        }
        List<String> env = spec.env().entrySet().stream()
                .map(e -> e.getKey() + "=" + e.getValue())
                .sorted()
                .toList();
        try {
            String id = control.createContainerCmd(spec.image())
                    .withName(spec.name())
                    .withLabels(spec.labels())
                    .withEnv(env)
                    .withExposedPorts(exposed)
                    .withHostConfig(hostConfig)
                    .exec()
                    .getId();
            log.debug("created container {} ({}) from {} on 127.0.0.1:{}", spec.name(), id, spec.image(),
                    spec.hostPort());
            return id;
        } catch (NotFoundException missingImage) {
            return null;
        }
    }

    @Override
    public CompletableFuture<Void> start(String containerId) {
        return calls.run(executors.control(), controlTimeout, "start of container " + containerId,
                () -> control.startContainerCmd(containerId).exec());
    }

    @Override
    public CompletableFuture<Void> stop(String containerId, int graceSeconds) {
        int grace = Math.max(0, Math.min(graceSeconds, MAX_GRACE_SECONDS));
        return calls.run(executors.slow(), SLOW_TIMEOUT.plusSeconds(grace), "stop of container " + containerId,
                () -> {
                    try {
                        slow.stopContainerCmd(containerId).withTimeout(grace).exec();
                    } catch (NotModifiedException | NotFoundException alreadyStopped) {
                        log.debug("container {} was already stopped or gone", containerId);
                    }
                });
    }

    @Override
    public CompletableFuture<Void> pause(String containerId) {
        return calls.run(executors.slow(), SLOW_TIMEOUT, "pause of container " + containerId,
                () -> slow.pauseContainerCmd(containerId).exec());
    }

    @Override
    public CompletableFuture<Void> unpause(String containerId) {
        return calls.run(executors.control(), controlTimeout, "unpause of container " + containerId,
                () -> control.unpauseContainerCmd(containerId).exec());
    }

    @Override
    public CompletableFuture<Void> remove(String containerIdOrName) {
        return calls.run(executors.slow(), SLOW_TIMEOUT, "removal of container " + containerIdOrName, () -> {
            try {
                slow.removeContainerCmd(containerIdOrName).withForce(true).withRemoveVolumes(true).exec();
            } catch (NotFoundException alreadyGone) {
                log.debug("container {} was already gone", containerIdOrName);
            }
        });
    }

    @Override
    public CompletableFuture<EngineSurvey> survey(String installationId) {
        return quick("listing of the containers", () -> survey.take(control, installationId));
    }

    @Override
    public CompletableFuture<Void> watch(String installationId, Consumer<ContainerEvent> listener) {
        EventsCallback events = new EventsCallback(listener, failures);
        try {
            // docker-java follows the stream on a thread of its own, so no executor thread is held by it.
            slow.eventsCmd()
                    .withEventTypeFilter(EventType.CONTAINER)
                    .withEventFilter("die", "oom", "destroy")
                    .withLabelFilter(Map.of(
                            ContainerLabels.MANAGED, "true",
                            ContainerLabels.INSTALLATION, installationId))
                    .exec(events);
        } catch (RuntimeException e) {
            events.ended().completeExceptionally(failures.translate(e, "event stream"));
        }
        return events.ended();
    }

    @Override
    public CompletableFuture<Void> ping() {
        return calls.run(executors.control(), controlTimeout, "ping", () -> control.pingCmd().exec());
    }

    @Override
    public void close() {
        for (DockerClient client : List.of(control, slow)) {
            try {
                client.close();
            } catch (IOException e) {
                log.warn("closing the Docker client for {} failed", dockerHost, e);
            }
        }
    }

    private <T> CompletableFuture<T> quick(String operation, Supplier<T> action) {
        return calls.call(executors.control(), controlTimeout, operation, action);
    }
}
