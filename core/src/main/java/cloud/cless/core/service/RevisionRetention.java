package cloud.cless.core.service;

import java.util.ArrayList;
import java.util.List;

/**
 * Which revisions a service no longer keeps: beyond the newest {@code history} ones, those the traffic does not
 * name (neither a percent nor a tag). The latest is always among the newest, so it always stays.
 */
final class RevisionRetention {
    private RevisionRetention() {
    }

    /** The revisions of {@code service} to delete, oldest first. */
    static List<Revision> expired(RegisteredService service, int history) {
        List<Revision> revisions = service.revisions();
        List<Revision> expired = new ArrayList<>();
        for (int i = 0; i < revisions.size() - history; i++) {
            Revision old = revisions.get(i);
            if (!service.referencedByTraffic(old.name())) {
                expired.add(old);
            }
        }
        return expired;
    }
}
