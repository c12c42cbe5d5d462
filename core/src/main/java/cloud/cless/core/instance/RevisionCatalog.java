package cloud.cless.core.instance;

import cloud.cless.core.service.RegisteredService;
import cloud.cless.core.service.ResolvedService;
import cloud.cless.core.service.Revision;
import cloud.cless.core.service.ScalingSettings;
import java.util.HashMap;
import java.util.Map;

/**
 * The container revisions that serve now (a percent or a tag), each with the scaling its pool runs with (a
 * tag-only revision keeps no instance running): what the cluster's leader decides for, under the names the
 * replicas report them by. Read from the registry's memory, never from the store.
 */
public final class RevisionCatalog {

    private RevisionCatalog() {
    }

    public static Map<String, ScalingSettings> of(ServiceDirectory services) {
        Map<String, ScalingSettings> revisions = new HashMap<>();
        for (RegisteredService service : services.all()) {
            for (Revision revision : service.revisions()) {
                Serving serving = Serving.of(service, revision.name());
                if (serving != Serving.NONE && !revision.spec().isUpstream()) {
                    ResolvedService spec = ResolvedService.of(service, revision, services.defaults());
                    revisions.put(revision.name(), serving.applyTo(spec).scaling());
                }
            }
        }
        return revisions;
    }
}
