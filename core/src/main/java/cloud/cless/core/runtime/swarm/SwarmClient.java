package cloud.cless.core.runtime.swarm;

import cloud.cless.core.runtime.ContainerLabels;
import cloud.cless.core.runtime.DockerContainerRuntime;
import cloud.cless.core.runtime.RuntimeFailure;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.dockerjava.api.exception.DockerException;
import com.github.dockerjava.api.exception.InternalServerErrorException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.httpclient5.ApacheDockerHttpClient;
import com.github.dockerjava.transport.DockerHttpClient;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.IntUnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Swarm services of cless's revisions on a Swarm manager: create, scale, list tasks, remove. Every call returns
 * at once; the engine work runs on the caller's bounded executor, and the future completes there with the answer
 * or with a {@link RuntimeFailure} ({@code ENGINE_UNAVAILABLE} when the manager cannot be reached, does not answer
 * within the call deadline, or cannot serve because it is not a manager or the swarm has no leader;
 * {@code CONTAINER_FAILED} when it refused; {@link SwarmServiceMissingException} for a service that is not there).
 * A call that ran into its deadline may still take effect on the manager: {@link #updateReplicas} is safe to repeat.
 * Swarm reports no task events, so callers poll {@link #tasks}; nothing here polls.
 */
public final class SwarmClient implements SwarmApi, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SwarmClient.class);

    public static final Duration DEFAULT_CALL_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration CONNECT_TIMEOUT = DockerContainerRuntime.CONNECT_TIMEOUT;
    private static final int MAX_CONNECTIONS = 20;
    /** How long a node's address is trusted before the node list is read again. */
    static final Duration NODE_TTL = Duration.ofSeconds(10);
    /** Writers that keep getting in between give up after this many reads (the deadline usually comes first). */
    private static final int MAX_UPDATE_ATTEMPTS = 50;
    private static final String OUT_OF_SEQUENCE = "update out of sequence";

    private final String dockerHost;
    private final SwarmHttp http;
    private final SwarmJson specs;
    private final SwarmCalls calls;
    private final NodeDirectory nodes;

    /**
     * @param dockerHost  a Swarm manager's engine ({@code unix:///...} or {@code tcp://host:port}; null means
     *                    {@code DOCKER_HOST}, else the local socket)
     * @param executor    runs every engine call; bounded, owned by the caller, who shuts it down after {@link #close()}
     * @param callTimeout the deadline of every call, retries included
     */
    public SwarmClient(String dockerHost, ExecutorService executor, Duration callTimeout) {
        this(DockerContainerRuntime.resolveHost(dockerHost), null, executor, callTimeout);
    }

    /** As the public constructor, over a transport of the caller's (for tests). */
    SwarmClient(String dockerHost, DockerHttpClient transport, ExecutorService executor, Duration callTimeout) {
        this.dockerHost = dockerHost;
        this.calls = new SwarmCalls(dockerHost, executor, callTimeout);
        ObjectMapper json = new ObjectMapper();
        this.http = new SwarmHttp(transport != null ? transport : transport(dockerHost, callTimeout), json);
        this.specs = new SwarmJson(json, DockerContainerRuntime.PIDS_LIMIT);
        this.nodes = new NodeDirectory(this::readNodes, NODE_TTL);
    }

    private static DockerHttpClient transport(String dockerHost, Duration callTimeout) {
        DefaultDockerClientConfig config = DefaultDockerClientConfig.createDefaultConfigBuilder()
                .withDockerHost(dockerHost)
                .build();
        return new ApacheDockerHttpClient.Builder()
                .dockerHost(URI.create(dockerHost))
                .sslConfig(config.getSSLConfig())
                .connectionTimeout(CONNECT_TIMEOUT)
                // Frees the executor thread of a call whose deadline has passed.
                .responseTimeout(callTimeout)
                .maxConnections(MAX_CONNECTIONS)
                .build();
    }

    public String dockerHost() {
        return dockerHost;
    }

    /** Creates the service of a revision; returns its id. A service of that name existing already is refused. */
    @Override
    public CompletableFuture<String> createService(SwarmServiceSpec spec) {
        String name = spec.name();
        return calls.call("creation of swarm service " + name + " (image " + spec.image() + ")", name, () -> {
            JsonNode created = http.post("/services/create", specs.serviceSpec(spec));
            String id = created.path("ID").asText();
            log.debug("created swarm service {} ({}) from {} with {} replicas", name, id, spec.image(), spec.replicas());
            return id;
        });
    }

    /** The service of that name, with its version index and replicas. */
    @Override
    public CompletableFuture<SwarmService> service(String name) {
        SwarmServiceSpec.checkName(name);
        return calls.call("inspection of swarm service " + name, name,
                () -> SwarmJson.service(http.get("/services/" + name)));
    }

    /** Sets the replicas of a service; see {@link #updateReplicas}. */
    public CompletableFuture<ReplicaUpdate> setReplicas(String name, int replicas) {
        if (replicas < 0) {
            throw new IllegalArgumentException("replicas cannot be negative: " + replicas);
        }
        return updateReplicas(name, current -> replicas);
    }

    /**
     * Changes the replicas of a service to {@code change.applyAsInt(current)}: reads the service, writes its spec
     * back with only the replicas changed and the version index it read, and when another writer got in between
     * (the manager answers "update out of sequence") reads again and applies {@code change} to what it finds then.
     * So no writer's change is lost or undone, neither another scale nor any other field of the spec.
     * {@code change} may be called several times, on the executor thread.
     */
    @Override
    public CompletableFuture<ReplicaUpdate> updateReplicas(String name, IntUnaryOperator change) {
        SwarmServiceSpec.checkName(name);
        long deadline = calls.deadlineNanos();
        return calls.call("scale of swarm service " + name, name, () -> {
            for (int attempt = 1; ; attempt++) {
                JsonNode service = http.get("/services/" + name);
                String id = service.path("ID").asText();
                long version = service.path("Version").path("Index").asLong();
                ObjectNode spec = (ObjectNode) service.path("Spec").deepCopy();
                int current = SwarmJson.replicas(spec);
                if (current < 0) {
                    throw new IllegalStateException("swarm service " + name + " is not a replicated service");
                }
                int wanted = change.applyAsInt(current);
                if (wanted < 0) {
                    throw new IllegalArgumentException("replicas of swarm service " + name + " cannot become "
                            + wanted);
                }
                if (wanted == current) {
                    return new ReplicaUpdate(id, current, wanted, version, attempt, false);
                }
                SwarmJson.setReplicas(spec, wanted);
                try {
                    http.post("/services/" + id + "/update?version=" + version, spec);
                    log.debug("swarm service {}: replicas {} -> {} at version {} (attempt {})",
                            name, current, wanted, version, attempt);
                    return new ReplicaUpdate(id, current, wanted, version, attempt, true);
                } catch (InternalServerErrorException e) {
                    if (!isOutOfSequence(e) || attempt >= MAX_UPDATE_ATTEMPTS || System.nanoTime() > deadline) {
                        throw e;
                    }
                    log.debug("swarm service {} changed since version {}; reading it again", name, version);
                    pause(attempt);
                }
            }
        });
    }

    /**
     * Every task the manager keeps of the service (running, starting, and the last few that ended), with its node
     * and published port: the call to poll while a start is pending. One request, plus one node listing when a
     * task is on a node not seen within {@link #NODE_TTL}.
     */
    @Override
    public CompletableFuture<List<SwarmTask>> tasks(String name) {
        SwarmServiceSpec.checkName(name);
        return calls.call("listing of the tasks of swarm service " + name, name, () -> {
            JsonNode tasks = http.get("/tasks?" + http.filters(Map.of("service", List.of(name))));
            List<SwarmTask> result = new ArrayList<>(tasks.size());
            for (JsonNode task : tasks) {
                result.add(SwarmJson.task(task, nodes::find));
            }
            return List.copyOf(result);
        });
    }

    /**
     * Every task of every service of this installation (running, starting, and the last few that ended), in one
     * request whatever the number of services: the manager matches a task by its service's labels.
     */
    @Override
    public CompletableFuture<List<SwarmTask>> installationTasks(String installationId) {
        return calls.call("listing of the swarm tasks of installation " + installationId, null, () -> {
            JsonNode tasks = http.get("/tasks?" + http.filters(Map.of("label", List.of(
                    ContainerLabels.MANAGED + "=true", ContainerLabels.INSTALLATION + "=" + installationId))));
            List<SwarmTask> result = new ArrayList<>(tasks.size());
            for (JsonNode task : tasks) {
                result.add(SwarmJson.task(task, nodes::find));
            }
            return List.copyOf(result);
        });
    }

    /** Removes the service and with it its tasks; a service that is already gone is not an error. */
    @Override
    public CompletableFuture<Void> removeService(String name) {
        SwarmServiceSpec.checkName(name);
        return calls.call("removal of swarm service " + name, null, () -> {
            try {
                http.delete("/services/" + name);
            } catch (NotFoundException alreadyGone) {
                log.debug("swarm service {} was already gone", name);
            }
            return null;
        });
    }

    /** Every service labelled as managed by cless for this installation: what reconcile starts from. */
    @Override
    public CompletableFuture<List<SwarmService>> listManaged(String installationId) {
        return calls.call("listing of the swarm services of installation " + installationId, null, () -> {
            JsonNode services = http.get("/services?" + http.filters(Map.of("label", List.of(
                    ContainerLabels.MANAGED + "=true", ContainerLabels.INSTALLATION + "=" + installationId))));
            List<SwarmService> result = new ArrayList<>(services.size());
            services.forEach(service -> result.add(SwarmJson.service(service)));
            return List.copyOf(result);
        });
    }

    /** The nodes of the swarm, read now. */
    public CompletableFuture<List<SwarmNode>> nodes() {
        return calls.call("listing of the swarm nodes", null, nodes::refresh);
    }

    /** Cheap check that the engine answers as a manager of a swarm. */
    @Override
    public CompletableFuture<Void> ping() {
        return calls.call("swarm inspection", null, () -> {
            http.get("/swarm");
            return null;
        });
    }

    @Override
    public void close() {
        try {
            http.close();
        } catch (IOException e) {
            log.warn("closing the Swarm client for {} failed", dockerHost, e);
        }
    }

    private List<SwarmNode> readNodes() {
        JsonNode list = http.get("/nodes");
        List<SwarmNode> result = new ArrayList<>(list.size());
        list.forEach(node -> result.add(SwarmJson.node(node)));
        return result;
    }

    private static boolean isOutOfSequence(DockerException e) {
        String message = e.getMessage();
        return message != null && message.contains(OUT_OF_SEQUENCE);
    }

    /** A short, random pause so that two writers that collided do not collide again in lock-step. */
    private static void pause(int attempt) {
        long millis = ThreadLocalRandom.current().nextLong(1, 5L + 5L * Math.min(attempt, 10));
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while retrying", e);
        }
    }
}
