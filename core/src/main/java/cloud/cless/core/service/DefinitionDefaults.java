package cloud.cless.core.service;

import java.util.Locale;

/**
 * The defaults a definition gets for the fields a client left out, from the server's configuration.
 *
 * @param domain                the domain under which {@code <name>.<domain>} is the default host
 * @param idleTimeoutSeconds    default {@code idle_timeout_seconds}
 * @param startupTimeoutSeconds default {@code startup_timeout_seconds}
 */
public record DefinitionDefaults(String domain, int idleTimeoutSeconds, int startupTimeoutSeconds) {

    public static final String DEFAULT_TAG = "latest";
    public static final int DEFAULT_PORT = 8080;

    public DefinitionDefaults {
        domain = domain.toLowerCase(Locale.ROOT);
    }

    /** Returns {@code def} with every missing defaultable field filled; hosts are lower-cased. */
    public ServiceDefinition apply(ServiceDefinition def) {
        ServiceDefinition.Builder b = def.toBuilder();
        if (def.imageName() != null && def.imageTag() == null) {
            b.imageTag(DEFAULT_TAG);
        }
        if (def.port() == null && def.upstream() == null) {
            b.port(DEFAULT_PORT);
        }
        if (def.host() == null) {
            if (def.name() != null) {
                b.host(def.name() + "." + domain);
            }
        } else {
            b.host(def.host().toLowerCase(Locale.ROOT));
        }
        if (def.minInstances() == null) {
            b.minInstances(0);
        }
        if (def.maxInstances() == null) {
            b.maxInstances(1);
        }
        if (def.concurrency() == null) {
            b.concurrency(0);
        }
        if (def.idleTimeoutSeconds() == null) {
            b.idleTimeoutSeconds(idleTimeoutSeconds);
        }
        if (def.idleAction() == null) {
            b.idleAction(IdleAction.STOP);
        }
        if (def.startupTimeoutSeconds() == null) {
            b.startupTimeoutSeconds(startupTimeoutSeconds);
        }
        return b.build();
    }
}
