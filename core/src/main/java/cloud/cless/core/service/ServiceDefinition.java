package cloud.cless.core.service;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A registered service: which image to run (or which fixed upstream to use), on which host, how to scale it, and
 * how its requests are split between its revisions.
 *
 * <p>Field names mirror the admin API contract (snake_case there). Optional fields are nullable boxed types;
 * {@link DefinitionDefaults#apply} fills the ones that have defaults before validation and storage. A null
 * {@code traffic} in a request means "not given": a new service gets {@link TrafficTarget#DEFAULT}, an updated one
 * keeps its traffic. Stored definitions always have it.
 */
public record ServiceDefinition(
        String name,
        String imageName,
        String imageTag,
        String upstream,
        Integer port,
        String host,
        Map<String, String> env,
        Integer minInstances,
        Integer maxInstances,
        Integer concurrency,
        Integer idleTimeoutSeconds,
        IdleAction idleAction,
        Integer startupTimeoutSeconds,
        String readinessPath,
        Integer memoryMb,
        Double cpus,
        List<TrafficTarget> traffic) {

    public ServiceDefinition {
        env = env == null ? Map.of() : Map.copyOf(env);
        traffic = traffic == null ? null : List.copyOf(traffic);
    }

    /** The image reference Docker is asked for, {@code name:tag}; null for an upstream service. */
    public String imageReference() {
        return imageName == null ? null : imageName + ":" + (imageTag == null ? "latest" : imageTag);
    }

    /** True when the service is a fixed address rather than a container. */
    public boolean isUpstream() {
        return upstream != null;
    }

    /**
     * True when instances running {@code this} can keep serving after the definition became {@code other}:
     * only what a running container was created with matters.
     */
    public boolean sameContainerAs(ServiceDefinition other) {
        return Objects.equals(imageName, other.imageName)
                && Objects.equals(imageTag, other.imageTag)
                && Objects.equals(upstream, other.upstream)
                && Objects.equals(port, other.port)
                && Objects.equals(env, other.env)
                && Objects.equals(memoryMb, other.memoryMb)
                && Objects.equals(cpus, other.cpus);
    }

    public static Builder builder(String name) {
        return new Builder().name(name);
    }

    public Builder toBuilder() {
        return new Builder()
                .name(name).imageName(imageName).imageTag(imageTag).upstream(upstream).port(port).host(host)
                .env(env).minInstances(minInstances).maxInstances(maxInstances).concurrency(concurrency)
                .idleTimeoutSeconds(idleTimeoutSeconds).idleAction(idleAction)
                .startupTimeoutSeconds(startupTimeoutSeconds).readinessPath(readinessPath)
                .memoryMb(memoryMb).cpus(cpus).traffic(traffic);
    }

    /** Builds definitions field by field (tests and JSON mapping). */
    public static final class Builder {
        private String name;
        private String imageName;
        private String imageTag;
        private String upstream;
        private Integer port;
        private String host;
        private Map<String, String> env;
        private Integer minInstances;
        private Integer maxInstances;
        private Integer concurrency;
        private Integer idleTimeoutSeconds;
        private IdleAction idleAction;
        private Integer startupTimeoutSeconds;
        private String readinessPath;
        private Integer memoryMb;
        private Double cpus;
        private List<TrafficTarget> traffic;

        public Builder name(String v) { name = v; return this; }
        public Builder imageName(String v) { imageName = v; return this; }
        public Builder imageTag(String v) { imageTag = v; return this; }
        public Builder upstream(String v) { upstream = v; return this; }
        public Builder port(Integer v) { port = v; return this; }
        public Builder host(String v) { host = v; return this; }
        public Builder env(Map<String, String> v) { env = v; return this; }
        public Builder minInstances(Integer v) { minInstances = v; return this; }
        public Builder maxInstances(Integer v) { maxInstances = v; return this; }
        public Builder concurrency(Integer v) { concurrency = v; return this; }
        public Builder idleTimeoutSeconds(Integer v) { idleTimeoutSeconds = v; return this; }
        public Builder idleAction(IdleAction v) { idleAction = v; return this; }
        public Builder startupTimeoutSeconds(Integer v) { startupTimeoutSeconds = v; return this; }
        public Builder readinessPath(String v) { readinessPath = v; return this; }
        public Builder memoryMb(Integer v) { memoryMb = v; return this; }
        public Builder cpus(Double v) { cpus = v; return this; }
        public Builder traffic(List<TrafficTarget> v) { traffic = v; return this; }

        public ServiceDefinition build() {
            return new ServiceDefinition(name, imageName, imageTag, upstream, port, host, env, minInstances,
                    maxInstances, concurrency, idleTimeoutSeconds, idleAction, startupTimeoutSeconds,
                    readinessPath, memoryMb, cpus, traffic);
        }
    }
}
