package cloud.cless.core.service;

import java.time.Duration;
import java.util.Objects;

/**
 * One revision of a container service as the instance lifecycle works with it: the definition its instances run
 * (the revision's container fields with the service's scaling) with every default resolved once, split into what
 * its containers are made from, how it scales, and how a start is awaited.
 *
 * @param definition     the definition this was resolved from
 * @param revision       the revision its containers run ({@code hello-00002})
 * @param container      what each container is created from
 * @param scaling        how many instances, how loaded, how long idle
 * @param readinessPath  the path the readiness probe asks for, or null for {@code /} with any status
 * @param startupTimeout how long a start may take until the container answers
 */
public record ResolvedService(ServiceDefinition definition, String revision, ContainerTemplate container,
                              ScalingSettings scaling, String readinessPath, Duration startupTimeout) {

    public ResolvedService {
        Objects.requireNonNull(definition, "definition");
        Objects.requireNonNull(revision, "revision");
        Objects.requireNonNull(container, "container");
        Objects.requireNonNull(scaling, "scaling");
        Objects.requireNonNull(startupTimeout, "startupTimeout");
    }

    /** {@code revision} of {@code service}: its container fields with the service's current scaling and timeouts. */
    public static ResolvedService of(RegisteredService service, Revision revision, DefinitionDefaults defaults) {
        return of(revision.applyTo(service.definition()), revision.name(), defaults);
    }

    /**
     * Resolves the definition a revision's instances run: {@code defaults} fill whatever it leaves out (a stored
     * definition has them already; applying them again changes nothing).
     *
     * @throws IllegalArgumentException for an upstream, which has no containers
     */
    public static ResolvedService of(ServiceDefinition definition, String revision, DefinitionDefaults defaults) {
        if (definition.isUpstream()) {
            throw new IllegalArgumentException("revision " + revision + " of service " + definition.name()
                    + " is an upstream, not a container");
        }
        ServiceDefinition def = defaults.apply(definition);
        ScalingSettings scaling = new ScalingSettings(def.minInstances(), def.maxInstances(), def.concurrency(),
                Duration.ofSeconds(def.idleTimeoutSeconds()), def.idleAction());
        return new ResolvedService(definition, revision, ContainerTemplate.of(def), scaling, def.readinessPath(),
                Duration.ofSeconds(def.startupTimeoutSeconds()));
    }

    /** The service's name. */
    public String name() {
        return definition.name();
    }

    /** The same revision scaled by {@code other} settings. */
    public ResolvedService withScaling(ScalingSettings other) {
        return other.equals(scaling) ? this
                : new ResolvedService(definition, revision, container, other, readinessPath, startupTimeout);
    }
}
