package cloud.cless.core.runtime.swarm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

/** The engine API's JSON for Swarm services, tasks and nodes: builds what cless sends, reads what it gets back. */
final class SwarmJson {
    /** Restarts a task whose container ended (a new task in its slot); the delay keeps a crash loop slow. */
    private static final long RESTART_DELAY_NANOS = 2_000_000_000L;
    private static final String ZERO_TIME = "0001-01-01T00:00:00Z";

    private final ObjectMapper json;
    private final long pidsLimit;

    SwarmJson(ObjectMapper json, long pidsLimit) {
        this.json = json;
        this.pidsLimit = pidsLimit;
    }

    /**
     * The ServiceSpec of a revision: replicated, endpoint mode {@code dnsrr} (no virtual IP: it needs IPVS, and cless
     * picks the task itself), the container port published in host mode with no fixed host port, so that every task
     * gets a free port of its own node. The cless labels go on the service only: task containers carry Swarm's
     * labels, so that a docker-runtime cless on the same engine never takes them for its own.
     */
    ObjectNode serviceSpec(SwarmServiceSpec spec) {
        ObjectNode root = json.createObjectNode();
        root.put("Name", spec.name());
        ObjectNode labels = root.putObject("Labels");
        spec.labels().entrySet().stream().sorted(Map.Entry.comparingByKey())
                .forEach(e -> labels.put(e.getKey(), e.getValue()));

        ObjectNode template = root.putObject("TaskTemplate");
        ObjectNode container = template.putObject("ContainerSpec");
        container.put("Image", spec.image());
        ArrayNode env = container.putArray("Env");
        spec.env().entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).sorted().forEach(env::add);
        container.put("StopGracePeriod", spec.stopGracePeriod().toNanos());

        ObjectNode limits = template.putObject("Resources").putObject("Limits");
        limits.put("Pids", pidsLimit);
        if (spec.memoryMb() != null) {
            limits.put("MemoryBytes", spec.memoryMb() * 1024L * 1024L);
        }
        if (spec.cpus() != null) {
            limits.put("NanoCPUs", Math.round(spec.cpus() * 1_000_000_000d));
        }
        ObjectNode restart = template.putObject("RestartPolicy");
        restart.put("Condition", "any");
        restart.put("Delay", RESTART_DELAY_NANOS);
        restart.put("MaxAttempts", 0);
        if (!spec.placementConstraints().isEmpty()) {
            ArrayNode constraints = template.putObject("Placement").putArray("Constraints");
            spec.placementConstraints().forEach(constraints::add);
        }

        root.putObject("Mode").putObject("Replicated").put("Replicas", spec.replicas());
        ObjectNode endpoint = root.putObject("EndpointSpec");
        endpoint.put("Mode", "dnsrr");
        ObjectNode port = endpoint.putArray("Ports").addObject();
        port.put("Protocol", "tcp");
        port.put("TargetPort", spec.containerPort());
        port.put("PublishMode", "host");
        return root;
    }

    /** The replicas a spec asks for, or -1 when the service is not replicated (global mode). */
    static int replicas(JsonNode spec) {
        JsonNode replicated = spec.path("Mode").path("Replicated");
        if (replicated.isMissingNode()) {
            return -1;
        }
        return replicated.path("Replicas").asInt(0);
    }

    static void setReplicas(ObjectNode spec, int replicas) {
        ((ObjectNode) spec.path("Mode").path("Replicated")).put("Replicas", replicas);
    }

    static SwarmService service(JsonNode service) {
        JsonNode spec = service.path("Spec");
        return new SwarmService(
                service.path("ID").asText(),
                spec.path("Name").asText(),
                service.path("Version").path("Index").asLong(),
                replicas(spec),
                spec.path("TaskTemplate").path("ContainerSpec").path("Image").asText(null),
                stringMap(spec.path("Labels")));
    }

    static SwarmNode node(JsonNode node) {
        String address = node.path("Status").path("Addr").asText("");
        if (address.isEmpty() || "0.0.0.0".equals(address)) {
            // Some managers report 0.0.0.0 here; their manager address ("ip:2377") names the host instead.
            String managerAddress = node.path("ManagerStatus").path("Addr").asText("");
            int colon = managerAddress.lastIndexOf(':');
            address = colon > 0 ? managerAddress.substring(0, colon) : managerAddress;
        }
        return new SwarmNode(
                node.path("ID").asText(),
                node.path("Description").path("Hostname").asText(""),
                address,
                node.path("Status").path("State").asText("unknown"),
                node.path("Spec").path("Availability").asText("active"),
                node.path("Spec").path("Role").asText("worker"),
                node.path("ManagerStatus").path("Leader").asBoolean(false));
    }

    /** A task; {@code nodes} resolves its node id (null when unknown). */
    static SwarmTask task(JsonNode task, Function<String, SwarmNode> nodes) {
        JsonNode status = task.path("Status");
        String nodeId = text(task.path("NodeID"));
        return new SwarmTask(
                task.path("ID").asText(),
                task.path("ServiceID").asText(),
                task.path("Slot").asInt(0),
                task.path("Spec").path("ContainerSpec").path("Image").asText(null),
                nodeId,
                nodeId != null ? nodes.apply(nodeId) : null,
                SwarmTaskState.fromApi(task.path("DesiredState").asText()),
                SwarmTaskState.fromApi(status.path("State").asText()),
                text(status.path("Message")),
                text(status.path("Err")),
                text(status.path("ContainerStatus").path("ContainerID")),
                publishedPort(status.path("PortStatus").path("Ports")),
                instant(task.path("CreatedAt")),
                instant(status.path("Timestamp")));
    }

    /**
     * The host port the task's node published its container port on (a cless service publishes exactly one); the
     * node fills it in when it starts the container, so it is -1 before.
     */
    private static int publishedPort(JsonNode ports) {
        for (JsonNode port : ports) {
            boolean host = "host".equals(port.path("PublishMode").asText());
            boolean tcp = "tcp".equals(port.path("Protocol").asText("tcp"));
            int published = port.path("PublishedPort").asInt(0);
            if (host && tcp && published > 0) {
                return published;
            }
        }
        return -1;
    }

    private static Map<String, String> stringMap(JsonNode object) {
        Map<String, String> map = new LinkedHashMap<>();
        object.properties().forEach(e -> map.put(e.getKey(), e.getValue().asText()));
        return map;
    }

    private static String text(JsonNode node) {
        String value = node.asText("");
        return value.isEmpty() ? null : value;
    }

    private static Instant instant(JsonNode node) {
        String value = node.asText("");
        if (value.isEmpty() || ZERO_TIME.equals(value)) {
            return null;
        }
        try {
            return Instant.parse(value);
        } catch (DateTimeParseException e) {
            return null;
        }
    }
}
