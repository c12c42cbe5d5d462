package cloud.cless.core.runtime.swarm;

import cloud.cless.core.runtime.ContainerLabels;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Everything needed to create the Swarm service of one revision: named {@code cless-<revision>}, labelled with the
 * {@code cloud.cless.*} labels, its env plus {@code PORT}, its limits, and the container port each task publishes
 * on a host port of its node.
 *
 * @param service               the cless service the revision belongs to
 * @param revision              the revision ({@code hello-00001})
 * @param installationId        the installation (one per cluster of cless replicas) that owns the service
 * @param image                 image reference {@code name:tag} or {@code name@sha256:...}
 * @param containerPort         the port the app listens on inside the container
 * @param env                   the definition's environment; {@code PORT} is added
 * @param memoryMb              memory limit in MiB, or null for none
 * @param cpus                  CPU limit, or null for none
 * @param replicas              replicas to create it with (0 for a revision nobody asked for yet)
 * @param stopGracePeriod       how long a task gets between SIGTERM and SIGKILL when it is stopped
 * @param placementConstraints  Swarm placement constraints ({@code node.labels.pool==web}); empty for any node
 */
public record SwarmServiceSpec(
        String service,
        String revision,
        String installationId,
        String image,
        int containerPort,
        Map<String, String> env,
        Integer memoryMb,
        Double cpus,
        int replicas,
        Duration stopGracePeriod,
        List<String> placementConstraints) {

    public static final String NAME_PREFIX = "cless-";
    /** Swarm's own limit: a service name is a DNS label. */
    public static final int MAX_NAME_LENGTH = 63;
    private static final Pattern DNS_LABEL = Pattern.compile("[A-Za-z0-9](?:[A-Za-z0-9_-]*[A-Za-z0-9])?");

    public SwarmServiceSpec {
        Objects.requireNonNull(service, "service");
        Objects.requireNonNull(installationId, "installationId");
        Objects.requireNonNull(image, "image");
        Objects.requireNonNull(stopGracePeriod, "stopGracePeriod");
        nameFor(revision);
        if (containerPort < 1 || containerPort > 65535) {
            throw new IllegalArgumentException("container port " + containerPort + " of revision " + revision
                    + " is not in 1-65535");
        }
        if (replicas < 0) {
            throw new IllegalArgumentException("replicas of revision " + revision + " cannot be negative: " + replicas);
        }
        if (stopGracePeriod.isNegative()) {
            throw new IllegalArgumentException("stop grace period of revision " + revision + " is negative");
        }
        String port = Integer.toString(containerPort);
        String given = env.get("PORT");
        if (given != null && !given.equals(port)) {
            throw new IllegalArgumentException("env PORT=" + given + " of revision " + revision
                    + " contradicts its container port " + port);
        }
        Map<String, String> withPort = new LinkedHashMap<>(env);
        withPort.put("PORT", port);
        env = Map.copyOf(withPort);
        placementConstraints = List.copyOf(placementConstraints);
    }

    /** The Swarm service name of a revision, {@code cless-<revision>}; refuses what Swarm would refuse. */
    public static String nameFor(String revision) {
        Objects.requireNonNull(revision, "revision");
        return checkName(NAME_PREFIX + revision);
    }

    /** Returns {@code name} when Swarm would take it as a service name, else throws saying why not. */
    static String checkName(String name) {
        Objects.requireNonNull(name, "name");
        if (name.length() > MAX_NAME_LENGTH) {
            throw new IllegalArgumentException("Swarm service name " + name + " is " + name.length()
                    + " characters long; Swarm allows " + MAX_NAME_LENGTH);
        }
        if (!DNS_LABEL.matcher(name).matches()) {
            throw new IllegalArgumentException("Swarm service name " + name
                    + " is not a DNS label (letters, digits, '-' and '_', no '.')");
        }
        return name;
    }

    /** The Swarm service name, {@code cless-<revision>}. */
    public String name() {
        return nameFor(revision);
    }

    /** The labels the service carries, so that cless can find its services again after a restart. */
    public Map<String, String> labels() {
        return Map.of(
                ContainerLabels.MANAGED, "true",
                ContainerLabels.SERVICE, service,
                ContainerLabels.REVISION, revision,
                ContainerLabels.INSTALLATION, installationId);
    }
}
