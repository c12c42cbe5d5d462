package cloud.cless.core.store;

import cloud.cless.core.service.RegisteredService;
import cloud.cless.core.service.Revision;
import java.util.ArrayList;
import java.util.List;

/** What every store does with a write's outcome before it stores it. */
final class StoredRevisions {

    private StoredRevisions() {
    }

    /** A plan for {@code name} may only store a service of that name. */
    static void checkName(String name, RegisteredService service) {
        if (!service.name().equals(name)) {
            throw new IllegalArgumentException("a write of service '" + name + "' cannot store service '"
                    + service.name() + "'");
        }
    }

    /** {@code service} with each revision that was stored already as it was stored: revisions are immutable. */
    static RegisteredService keep(RegisteredService stored, RegisteredService service) {
        List<Revision> revisions = new ArrayList<>(service.revisions().size());
        for (Revision revision : service.revisions()) {
            revisions.add(stored.revision(revision.name()).orElse(revision));
        }
        return new RegisteredService(service.definition(), revisions, service.lastServed());
    }
}
