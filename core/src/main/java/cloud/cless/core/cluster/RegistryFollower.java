package cloud.cless.core.cluster;

import cloud.cless.core.service.ServiceRegistry;

/**
 * What a {@link ChangeApplier} on the change feed does for the service registry: a changed service is read again
 * from the shared store, a reload reads them all; the notice itself is never trusted for content. Other subjects
 * belong to other parts.
 */
public final class RegistryFollower implements ChangeApplier.Target {
    private final ServiceRegistry registry;

    public RegistryFollower(ServiceRegistry registry) {
        this.registry = registry;
    }

    @Override
    public void reloadAll() {
        registry.reloadAll();
    }

    @Override
    public void reload(Change change) {
        if (Change.SERVICE.equals(change.subject())) {
            registry.reload(change.id());
        }
    }

    @Override
    public String toString() {
        return "the service registry";
    }
}
