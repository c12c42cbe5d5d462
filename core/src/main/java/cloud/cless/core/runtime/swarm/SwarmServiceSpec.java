package cloud.cless.core.runtime.swarm;

import cloud.cless.core.runtime.ContainerLabels;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Everything needed to create the Swarm service of one revision: named {@code cless-<revision>} (see
 * {@link #nameFor}), labelled with the {@code cloud.cless.*} labels, its env plus {@code PORT}, its limits, and the
 * container port each task publishes on a host port of its node.
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
    /** Hex digits of the revision's hash in a shortened name: 40 bits, no collision among any one swarm's names. */
    private static final int HASH_HEX_DIGITS = 10;
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

    /**
     * The Swarm service name of a revision: {@code cless-<revision>}, or, when that is longer than Swarm's 63
     * characters (a service name near the 63 a cless name may have), {@code cless-<start of the revision>-<hash>}:
     * as many of the revision's first characters as fit beside 10 hex digits of its SHA-256. Every replica computes
     * the same name, so they all scale one service; the revision label names the revision in full. Refuses what
     * Swarm would refuse otherwise.
     */
    public static String nameFor(String revision) {
        Objects.requireNonNull(revision, "revision");
        String name = NAME_PREFIX + revision;
        if (name.length() <= MAX_NAME_LENGTH) {
            return checkName(name);
        }
        String hash = HexFormat.of().formatHex(sha256(revision), 0, HASH_HEX_DIGITS / 2);
        String start = revision.substring(0, MAX_NAME_LENGTH - NAME_PREFIX.length() - 1 - HASH_HEX_DIGITS);
        return checkName(NAME_PREFIX + start + "-" + hash);
    }

    private static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
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

    /** The Swarm service name, {@code cless-<revision>} (see {@link #nameFor}). */
    public String name() {
        return nameFor(revision);
    }

    /** The same spec, created with {@code count} replicas. */
    public SwarmServiceSpec withReplicas(int count) {
        return new SwarmServiceSpec(service, revision, installationId, image, containerPort, env, memoryMb, cpus, count,
                stopGracePeriod, placementConstraints);
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
