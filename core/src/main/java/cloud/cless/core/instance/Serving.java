package cloud.cless.core.instance;

import cloud.cless.core.service.RegisteredService;
import cloud.cless.core.service.ResolvedService;
import cloud.cless.core.service.Revision;

/**
 * What a revision's instances are for, by its service's traffic: a share of the requests, the requests on its
 * tags' hosts only, or nothing any more. Decides how its pool scales; pure.
 */
enum Serving {
    /**
     * A percent of the service's requests: {@code min_instances} are kept running and a spare is made ahead of need.
     */
    TRAFFIC,
    /**
     * Reached only through the host of a tag (a preview): scales to zero and cold-starts on a request through its
     * tag. No spare: a spare holds a container and a host port for every preview to speed up requests made by hand,
     * which is not worth it; one is made once the revision gets a percent.
     */
    TAG,
    /** Neither a percent nor a tag: no new leases, its instances drain (their requests finish) and go. */
    NONE;

    /** What {@code revision} is for in {@code service} as registered now; NONE when either is gone. */
    static Serving of(RegisteredService service, String revision) {
        if (service == null) {
            return NONE;
        }
        if (service.traffic().serves(revision)) {
            return TRAFFIC;
        }
        for (Revision tagged : service.traffic().tags().values()) {
            if (tagged.name().equals(revision)) {
                return TAG;
            }
        }
        return NONE;
    }

    /** The settings a pool of this role runs {@code spec} with: a tag-only revision keeps no instance running. */
    ResolvedService applyTo(ResolvedService spec) {
        return this == TRAFFIC ? spec : spec.withScaling(spec.scaling().withMinInstances(0));
    }
}
