package cloud.cless.admin;

import cloud.cless.core.service.IdleAction;
import cloud.cless.core.service.RegisteredService;
import cloud.cless.core.service.ServiceDefinition;
import cloud.cless.core.service.TrafficTarget;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A service definition as the admin API writes and reads it: the snake_case JSON of the contract. On input,
 * {@code latest_revision} is read-only: it is accepted (so that a document a GET returned can be sent back as it
 * is) and ignored.
 */
@JsonInclude(JsonInclude.Include.ALWAYS)
@JsonPropertyOrder({"name", "image_name", "image_tag", "upstream", "port", "host", "env", "min_instances",
        "max_instances", "concurrency", "idle_timeout_seconds", "idle_action", "startup_timeout_seconds",
        "readiness_path", "memory_mb", "cpus", "traffic", "latest_revision"})
record DefinitionDocument(
        @JsonProperty("name") String name,
        @JsonProperty("image_name") String imageName,
        @JsonProperty("image_tag") String imageTag,
        @JsonProperty("upstream") String upstream,
        @JsonProperty("port") Integer port,
        @JsonProperty("host") String host,
        @JsonProperty("env") Map<String, String> env,
        @JsonProperty("min_instances") Integer minInstances,
        @JsonProperty("max_instances") Integer maxInstances,
        @JsonProperty("concurrency") Integer concurrency,
        @JsonProperty("idle_timeout_seconds") Integer idleTimeoutSeconds,
        @JsonProperty("idle_action") String idleAction,
        @JsonProperty("startup_timeout_seconds") Integer startupTimeoutSeconds,
        @JsonProperty("readiness_path") String readinessPath,
        @JsonProperty("memory_mb") Integer memoryMb,
        @JsonProperty("cpus") Double cpus,
        @JsonProperty("traffic") List<TrafficDocument> traffic,
        @JsonProperty("latest_revision") String latestRevision) {

    static DefinitionDocument of(RegisteredService service) {
        ServiceDefinition d = service.definition();
        return new DefinitionDocument(d.name(), d.imageName(), d.imageTag(), d.upstream(), d.port(), d.host(),
                new TreeMap<>(d.env()), d.minInstances(), d.maxInstances(), d.concurrency(),
                d.idleTimeoutSeconds(), d.idleAction() == null ? null : d.idleAction().wireName(),
                d.startupTimeoutSeconds(), d.readinessPath(), d.memoryMb(), d.cpus(),
                d.traffic().stream().map(TrafficDocument::of).toList(), service.latest().name());
    }

    /**
     * The definition this document asks for; no traffic (null) when it names none. Only what JSON types cannot
     * express is checked here (idle_action words, null env values, null traffic entries); every other rule is the
     * validator's.
     */
    ServiceDefinition toDefinition() {
        Map<String, String> errors = new LinkedHashMap<>();
        IdleAction action = null;
        if (idleAction != null) {
            action = IdleAction.fromWireName(idleAction);
            if (action == null) {
                errors.put("idle_action", "must be \"stop\" or \"pause\"");
            }
        }
        if (env != null) {
            env.forEach((key, value) -> {
                if (value == null) {
                    errors.put("env." + key, "must be a string");
                }
            });
        }
        List<TrafficTarget> targets = traffic == null ? null : targets(traffic, errors);
        if (!errors.isEmpty()) {
            throw ApiException.invalidDefinition(errors);
        }
        return ServiceDefinition.builder(name)
                .imageName(imageName).imageTag(imageTag).upstream(upstream).port(port).host(host).env(env)
                .minInstances(minInstances).maxInstances(maxInstances).concurrency(concurrency)
                .idleTimeoutSeconds(idleTimeoutSeconds).idleAction(action)
                .startupTimeoutSeconds(startupTimeoutSeconds).readinessPath(readinessPath)
                .memoryMb(memoryMb).cpus(cpus).traffic(targets)
                .build();
    }

    /** The entries as targets; a null entry is reported as {@code traffic[i]}. */
    static List<TrafficTarget> targets(List<TrafficDocument> entries, Map<String, String> errors) {
        List<TrafficTarget> targets = new ArrayList<>(entries.size());
        for (int i = 0; i < entries.size(); i++) {
            TrafficDocument entry = entries.get(i);
            if (entry == null) {
                errors.put("traffic[" + i + "]", "must be an object");
            } else {
                targets.add(entry.toTarget());
            }
        }
        return targets;
    }
}
