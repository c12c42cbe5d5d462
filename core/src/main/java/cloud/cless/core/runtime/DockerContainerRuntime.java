package cloud.cless.core.runtime;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.exception.NotModifiedException;
import com.github.dockerjava.api.model.Container;
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
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The {@link ContainerRuntime} on a Docker engine, through docker-java and its Apache httpclient5 transport. */
public final class DockerContainerRuntime implements ContainerRuntime {
    private static final Logger log = LoggerFactory.getLogger(DockerContainerRuntime.class);

    public static final String DEFAULT_DOCKER_HOST = "unix:///var/run/docker.sock";
    /** An engine that is down must be reported at once, not after the OS connect timeout. */
    public static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(2);
    /** Long enough for a create or a stop with its grace period; short enough that a hung engine is noticed. */
    public static final Duration RESPONSE_TIMEOUT = Duration.ofSeconds(60);
    public static final Duration DEFAULT_PULL_TIMEOUT = Duration.ofSeconds(60);
    private static final int MAX_CONNECTIONS = 50;
    /** A stop blocks for its grace period; keep it well inside the response timeout. */
    private static final int MAX_GRACE_SECONDS = 45;
    /** Processes a container may run: enough for any app, few enough that a fork bomb stays inside. */
    public static final long PIDS_LIMIT = 512;
    private static final String LOOPBACK = "127.0.0.1";

    private final String dockerHost;
    private final ExecutorService blockingExecutor;
    private final Duration pullTimeout;
    private final DockerClient client;
    private final DockerFailures failures;

    /**
     * @param dockerHost       the engine's address ({@code unix:///...} or {@code tcp://host:port}); null means
     *                         {@code DOCKER_HOST}, else the local socket
     * @param blockingExecutor runs every engine call; owned by the caller, who shuts it down after {@link #close()}
     */
    public DockerContainerRuntime(String dockerHost, ExecutorService blockingExecutor) {
        this(dockerHost, blockingExecutor, DEFAULT_PULL_TIMEOUT);
    }

    /** As {@link #DockerContainerRuntime(String, ExecutorService)}, with a bound on the one pull of a missing image. */
    public DockerContainerRuntime(String dockerHost, ExecutorService blockingExecutor, Duration pullTimeout) {
        this.dockerHost = resolveHost(dockerHost);
        this.blockingExecutor = blockingExecutor;
        this.pullTimeout = pullTimeout;
        this.failures = new DockerFailures(this.dockerHost);
        DefaultDockerClientConfig config = DefaultDockerClientConfig.createDefaultConfigBuilder()
                .withDockerHost(this.dockerHost)
                .build();
        ApacheDockerHttpClient http = new ApacheDockerHttpClient.Builder()
                .dockerHost(URI.create(this.dockerHost))
                .sslConfig(config.getSSLConfig())
                .connectionTimeout(CONNECT_TIMEOUT)
                .responseTimeout(RESPONSE_TIMEOUT)
                .maxConnections(MAX_CONNECTIONS)
                .build();
        this.client = DockerClientImpl.getInstance(config, http);
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
        return call(operation, () -> {
            try {
                return createContainer(spec);
            } catch (NotFoundException missingImage) {
                pull(ImageReference.parse(spec.image()), operation);
                try {
                    return createContainer(spec);
                } catch (NotFoundException stillMissing) {
                    throw imageNotFound(spec.image(), DockerFailures.engineMessage(stillMissing), stillMissing);
                }
            }
        });
    }

    private String createContainer(ContainerSpec spec) {
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
        String id = client.createContainerCmd(spec.image())
                .withName(spec.name())
                .withLabels(spec.labels())
                .withEnv(env)
                .withExposedPorts(exposed)
                .withHostConfig(hostConfig)
                .exec()
                .getId();
        log.debug("created container {} ({}) from {} on 127.0.0.1:{}", spec.name(), id, spec.image(), spec.hostPort());
        return id;
    }

    /** Pulls once, bounded by the pull timeout; every way it can fail ends as IMAGE_NOT_FOUND naming the image. */
    private void pull(ImageReference image, String operation) {
        log.info("image {} is not present locally; pulling it", image);
        PullCallback pull = new PullCallback();
        try {
            client.pullImageCmd(image.repository()).withTag(image.tag()).exec(pull);
            if (!pull.await(pullTimeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw imageNotFound(image.toString(),
                        "the pull did not finish within " + pullTimeout.toSeconds() + " s", null);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw imageNotFound(image.toString(), "interrupted", e);
        } catch (RuntimeFailure e) {
            throw e;
        } catch (RuntimeException e) {
            throw pullFailure(image, e, operation);
        } finally {
            closeQuietly(pull);
        }
        if (pull.failure() != null) {
            throw pullFailure(image, pull.failure(), operation);
        }
        if (pull.errorMessage() != null) {
            throw imageNotFound(image.toString(), pull.errorMessage(), null);
        }
        log.info("pulled image {}", image);
    }

    private RuntimeFailure pullFailure(ImageReference image, Throwable failure, String operation) {
        if (failures.isUnreachable(failure)) {
            return failures.unreachable(failure, operation);
        }
        return imageNotFound(image.toString(), DockerFailures.describe(failure), failure);
    }

    private static RuntimeFailure imageNotFound(String image, String reason, Throwable cause) {
        return new RuntimeFailure(RuntimeFailure.Kind.IMAGE_NOT_FOUND,
                "image '" + image + "' is not present locally and could not be pulled: " + reason, cause);
    }

    @Override
    public CompletableFuture<Void> start(String containerId) {
        return run("start of container " + containerId, () -> client.startContainerCmd(containerId).exec());
    }

    @Override
    public CompletableFuture<Void> stop(String containerId, int graceSeconds) {
        int grace = Math.max(0, Math.min(graceSeconds, MAX_GRACE_SECONDS));
        return run("stop of container " + containerId, () -> {
            try {
                client.stopContainerCmd(containerId).withTimeout(grace).exec();
            } catch (NotModifiedException | NotFoundException alreadyStopped) {
                log.debug("container {} was already stopped or gone", containerId);
            }
        });
    }

    @Override
    public CompletableFuture<Void> pause(String containerId) {
        return run("pause of container " + containerId, () -> client.pauseContainerCmd(containerId).exec());
    }

    @Override
    public CompletableFuture<Void> unpause(String containerId) {
        return run("unpause of container " + containerId, () -> client.unpauseContainerCmd(containerId).exec());
    }

    @Override
    public CompletableFuture<Void> remove(String containerId) {
        return run("removal of container " + containerId, () -> {
            try {
                client.removeContainerCmd(containerId).withForce(true).withRemoveVolumes(true).exec();
            } catch (NotFoundException alreadyGone) {
                log.debug("container {} was already gone", containerId);
            }
        });
    }

    @Override
    public CompletableFuture<List<ManagedContainer>> listManaged(String installationId) {
        return call("listing of the containers of installation " + installationId, () -> client.listContainersCmd()
                .withShowAll(true)
                .withLabelFilter(Map.of(
                        ContainerLabels.MANAGED, "true",
                        ContainerLabels.INSTALLATION, installationId))
                .exec()
                .stream()
                .map(DockerContainerRuntime::toManaged)
                .toList());
    }

    private static ManagedContainer toManaged(Container container) {
        Map<String, String> labels = container.getLabels() != null ? container.getLabels() : Map.of();
        String[] names = container.getNames();
        String name = names != null && names.length > 0 ? names[0] : "";
        if (name.startsWith("/")) {
            name = name.substring(1);
        }
        return new ManagedContainer(container.getId(), name, labels.get(ContainerLabels.SERVICE),
                labels.get(ContainerLabels.INSTANCE), parsePort(labels.get(ContainerLabels.HOST_PORT)),
                container.getState());
    }

    private static int parsePort(String value) {
        if (value == null) {
            return -1;
        }
        try {
            int port = Integer.parseInt(value.strip());
            return port >= 1 && port <= 65535 ? port : -1;
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    @Override
    public CompletableFuture<Void> watch(String installationId, Consumer<ContainerEvent> listener) {
        EventsCallback events = new EventsCallback(listener, failures);
        try {
            // docker-java follows the stream on a thread of its own, so no executor thread is held by it.
            client.eventsCmd()
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
        return run("ping", () -> client.pingCmd().exec());
    }

    @Override
    public void close() {
        try {
            client.close();
        } catch (IOException e) {
            log.warn("closing the Docker client for {} failed", dockerHost, e);
        }
    }

    private CompletableFuture<Void> run(String operation, Runnable action) {
        return call(operation, () -> {
            action.run();
            return null;
        });
    }

    /** Runs {@code action} on the blocking executor; every failure completes the future with a RuntimeFailure. */
    private <T> CompletableFuture<T> call(String operation, Supplier<T> action) {
        CompletableFuture<T> result = new CompletableFuture<>();
        try {
            blockingExecutor.execute(() -> {
                try {
                    result.complete(action.get());
                } catch (Exception e) {
                    result.completeExceptionally(failures.translate(e, operation));
                } catch (Error e) {
                    result.completeExceptionally(e);
                    throw e;
                }
            });
        } catch (RejectedExecutionException e) {
            result.completeExceptionally(new RuntimeFailure(RuntimeFailure.Kind.ENGINE_UNAVAILABLE,
                    operation + " was refused: the Docker executor is shut down", e));
        }
        return result;
    }

    private static void closeQuietly(PullCallback pull) {
        try {
            pull.close();
        } catch (IOException e) {
            log.debug("closing the pull stream failed", e);
        }
    }
}
