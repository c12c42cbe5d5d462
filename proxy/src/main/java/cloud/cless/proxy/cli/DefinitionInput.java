package cloud.cless.proxy.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * What {@code services create} and {@code services update} send: a JSON file ({@code -} for stdin), or flags that
 * are turned into the fields of a definition. Only the flags given become fields, so the API's defaults (on
 * create) or the current values (on update) stay for the rest.
 */
public final class DefinitionInput {
    @Spec(Spec.Target.MIXEE)
    CommandSpec command;

    @Option(names = {"-f", "--file"}, paramLabel = "FILE",
            description = "The definition as JSON (the admin API's format); - reads it from stdin.")
    String file;

    @Option(names = "--image", paramLabel = "IMAGE", description = "Docker image name (image_name).")
    String image;

    @Option(names = "--tag", paramLabel = "TAG", description = "Image tag (image_tag; default latest).")
    String tag;

    @Option(names = "--upstream", paramLabel = "HOST:PORT",
            description = "A fixed address to route to instead of containers (upstream).")
    String upstream;

    @Option(names = "--port", paramLabel = "PORT", description = "Port the container listens on (default 8080).")
    Integer port;

    @Option(names = "--host", paramLabel = "HOST",
            description = "Host name routed to the service (default <name>.<domain>).")
    String host;

    @Option(names = "--env", paramLabel = "KEY=VALUE",
            description = "Environment variable of the container; repeatable. On update, merged into the current env.")
    Map<String, String> env = new LinkedHashMap<>();

    @Option(names = "--min-instances", paramLabel = "N", description = "Instances kept running.")
    Integer minInstances;

    @Option(names = "--max-instances", paramLabel = "N", description = "Most instances run at once.")
    Integer maxInstances;

    @Option(names = "--concurrency", paramLabel = "N",
            description = "Target open connections per instance; 0 for no target.")
    Integer concurrency;

    @Option(names = "--idle-timeout", paramLabel = "DURATION",
            description = "Idle time before an instance is stopped, in whole seconds (e.g. 90s, 5m).")
    Duration idleTimeout;

    @Option(names = "--idle-action", paramLabel = "stop|pause", description = "What happens to an idle instance.")
    String idleAction;

    @Option(names = "--startup-timeout", paramLabel = "DURATION",
            description = "Time an instance has to become ready, in whole seconds (e.g. 30s).")
    Duration startupTimeout;

    @Option(names = "--readiness-path", paramLabel = "PATH", description = "Path probed for readiness (2xx/3xx).")
    String readinessPath;

    @Option(names = "--memory-mb", paramLabel = "MIB", description = "Memory limit of a container in MiB.")
    Integer memoryMb;

    @Option(names = "--cpus", paramLabel = "CPUS", description = "CPU limit of a container (e.g. 0.5).")
    Double cpus;

    boolean hasFile() {
        return file != null;
    }

    /** True when any definition flag was given. */
    boolean hasFlags() {
        return image != null || tag != null || upstream != null || port != null || host != null || !env.isEmpty()
                || minInstances != null || maxInstances != null || concurrency != null || idleTimeout != null
                || idleAction != null || startupTimeout != null || readinessPath != null || memoryMb != null
                || cpus != null;
    }

    /** The file's bytes, sent as they are: the API checks them strictly and names any bad field. */
    byte[] readFile() {
        try {
            return "-".equals(file) ? System.in.readAllBytes() : Files.readAllBytes(Path.of(file));
        } catch (IOException e) {
            throw new AdminClientException("cannot read the definition from "
                    + ("-".equals(file) ? "stdin" : file) + ": " + e.getMessage(), e);
        }
    }

    /**
     * Sets the given flags on {@code definition}. Naming an image drops an upstream the definition had, and naming
     * an upstream drops its image and container port, since a service has one or the other.
     */
    ObjectNode overlay(ObjectNode definition) {
        if (image != null) {
            definition.put("image_name", image);
            clear(definition, "upstream");
        }
        if (upstream != null) {
            definition.put("upstream", upstream);
            clear(definition, "image_name");
            clear(definition, "image_tag");
            clear(definition, "port");
        }
        if (tag != null) {
            definition.put("image_tag", tag);
        }
        if (port != null) {
            definition.put("port", port);
        }
        if (host != null) {
            definition.put("host", host);
        }
        if (!env.isEmpty()) {
            ObjectNode merged = definition.get("env") instanceof ObjectNode current ? current
                    : definition.putObject("env");
            env.forEach(merged::put);
        }
        putIfGiven(definition, "min_instances", minInstances);
        putIfGiven(definition, "max_instances", maxInstances);
        putIfGiven(definition, "concurrency", concurrency);
        if (idleTimeout != null) {
            definition.put("idle_timeout_seconds", seconds("--idle-timeout", idleTimeout));
        }
        if (idleAction != null) {
            definition.put("idle_action", idleAction);
        }
        if (startupTimeout != null) {
            definition.put("startup_timeout_seconds", seconds("--startup-timeout", startupTimeout));
        }
        if (readinessPath != null) {
            definition.put("readiness_path", readinessPath);
        }
        putIfGiven(definition, "memory_mb", memoryMb);
        if (cpus != null) {
            definition.put("cpus", cpus);
        }
        return definition;
    }

    /** Exactly one of a file or flags; a file and flags together are ambiguous, which wins would be a guess. */
    void requireFileOrFlags(boolean otherFlags, String missing) {
        boolean flags = otherFlags || hasFlags();
        if (hasFile() && flags) {
            throw new ParameterException(command.commandLine(),
                    "give the definition either as --file or as flags, not both");
        }
        if (!hasFile() && !flags) {
            throw new ParameterException(command.commandLine(), missing);
        }
    }

    private static void clear(ObjectNode definition, String field) {
        if (definition.has(field)) {
            definition.putNull(field);
        }
    }

    private static void putIfGiven(ObjectNode definition, String field, Integer value) {
        if (value != null) {
            definition.put(field, value);
        }
    }

    private int seconds(String flag, Duration duration) {
        if (duration.toNanosPart() != 0 || duration.toSeconds() > Integer.MAX_VALUE) {
            throw new ParameterException(command.commandLine(),
                    flag + " must be a whole number of seconds, e.g. 30s or 5m");
        }
        return (int) duration.toSeconds();
    }
}
