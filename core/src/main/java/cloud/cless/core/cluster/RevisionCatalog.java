package cloud.cless.core.cluster;

import cloud.cless.core.instance.ServiceDirectory;
import cloud.cless.core.service.ResolvedService;
import cloud.cless.core.service.ScalingSettings;
import cloud.cless.core.service.ServiceDefinition;
import java.util.HashMap;
import java.util.Map;

/**
 * The revisions the leader decides for, under the keys the replicas report them by (the lifecycle's pool keys),
 * with their scaling settings: every container service of the registry; upstreams have nothing to scale.
 */
public final class RevisionCatalog {

    private RevisionCatalog() {
    }

    /** The revisions of {@code services} now, by pool key; reads the registry's memory, never the store. */
    public static Map<String, ScalingSettings> of(ServiceDirectory services) {
        Map<String, ScalingSettings> revisions = new HashMap<>();
        for (ServiceDefinition definition : services.all()) {
            if (!definition.isUpstream()) {
                revisions.put(definition.name(), ResolvedService.of(definition, services.defaults()).scaling());
            }
        }
        return revisions;
    }
}
