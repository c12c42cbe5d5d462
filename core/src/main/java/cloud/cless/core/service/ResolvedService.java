package cloud.cless.core.service;

import java.time.Duration;
import java.util.Objects;

/**
 * A container service as the instance lifecycle works with it: its definition with every default resolved once,
 * split into what its containers are made from, how it scales, and how a start is awaited.
 *
 * @param definition     the definition this was resolved from
 * @param container      what each container is created from
 * @param scaling        how many instances, how loaded, how long idle
 * @param readinessPath  the path the readiness probe asks for, or null for {@code /} with any status
 * @param startupTimeout how long a start may take until the container answers
 */
public record ResolvedService(ServiceDefinition definition, ContainerTemplate container, ScalingSettings scaling,
                              String readinessPath, Duration startupTimeout) {

    public ResolvedService {
        Objects.requireNonNull(definition, "definition");
        Objects.requireNonNull(container, "container");
        Objects.requireNonNull(scaling, "scaling");
        Objects.requireNonNull(startupTimeout, "startupTimeout");
    }

    /**
     * Resolves a container service's definition: {@code defaults} fill whatever it leaves out (a stored definition
     * has them already; applying them again changes nothing).
     *
     * @throws IllegalArgumentException for an upstream service, which has no containers
     */
    public static ResolvedService of(ServiceDefinition definition, DefinitionDefaults defaults) {
        if (definition.isUpstream()) {
            throw new IllegalArgumentException("service " + definition.name() + " is an upstream, not a container");
        }
        ServiceDefinition def = defaults.apply(definition);
        ScalingSettings scaling = new ScalingSettings(def.minInstances(), def.maxInstances(), def.concurrency(),
                Duration.ofSeconds(def.idleTimeoutSeconds()), def.idleAction());
        return new ResolvedService(definition, ContainerTemplate.of(def), scaling, def.readinessPath(),
                Duration.ofSeconds(def.startupTimeoutSeconds()));
    }

    public String name() {
        return definition.name();
    }
}
