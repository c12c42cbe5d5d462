package cloud.cless.core.service;

import java.util.List;
import java.util.Objects;

/**
 * One change to a service as it is stored: the service before and after, the revision it made and the revisions
 * it deleted. Tells listeners what happened, in {@link ServiceListener}'s order.
 *
 * @param kind     what asked for the change
 * @param previous the service before, null for a new one
 * @param current  the service after, null once it is deleted
 * @param created  the revision the change made, or null
 * @param deleted  the revisions it deleted, oldest first
 */
record ServiceChange(Kind kind, RegisteredService previous, RegisteredService current, Revision created,
                     List<Revision> deleted) {

    /** What asked for a change. */
    enum Kind {
        /** A new definition (POST). */
        CREATE,
        /** A replaced definition (PUT). */
        UPDATE,
        /** New traffic (PUT of the traffic, a rollback). */
        TRAFFIC,
        /** A revision deleted through the admin API. */
        DELETE_REVISION,
        /** The service with all of its revisions (DELETE). */
        DELETE
    }

    ServiceChange {
        Objects.requireNonNull(kind, "kind");
        if ((current == null) != (kind == Kind.DELETE) || (previous == null) != (kind == Kind.CREATE)) {
            throw new IllegalArgumentException(kind + " needs " + (kind == Kind.CREATE ? "no" : "a")
                    + " previous service and " + (kind == Kind.DELETE ? "no" : "a") + " current one");
        }
        deleted = List.copyOf(deleted);
    }

    /**
     * The change that takes a service from {@code before} to {@code after} (null: none), told as if it had been
     * made here in one step: for what another replica changed, seen in the shared store. A change to the
     * definition beyond its traffic is an {@link Kind#UPDATE}; a revision is created when the latest is new (earlier
     * new ones, made by changes this replica did not see, are in the snapshot only), deleted when it is gone.
     */
    static ServiceChange between(RegisteredService before, RegisteredService after) {
        if (before == null) {
            return new ServiceChange(Kind.CREATE, null, after, after.latest(), List.of());
        }
        if (after == null) {
            return new ServiceChange(Kind.DELETE, before, null, null, List.of());
        }
        boolean definitionChanged = !before.definition().toBuilder().traffic(null).build()
                .equals(after.definition().toBuilder().traffic(null).build());
        Revision created = before.revision(after.latest().name()).isPresent() ? null : after.latest();
        List<Revision> deleted = before.revisions().stream().filter(r -> after.revision(r.name()).isEmpty()).toList();
        return new ServiceChange(definitionChanged ? Kind.UPDATE : Kind.TRAFFIC, before, after, created, deleted);
    }

    /** The service's name. */
    String name() {
        return current != null ? current.name() : previous.name();
    }

    /** True when other revisions get requests or percents, or a tag reaches another revision. */
    boolean trafficChanged() {
        return current != null && (previous == null || !previous.traffic().equals(current.traffic()));
    }

    void tell(ServiceListener listener) {
        if (kind == Kind.DELETE) {
            listener.serviceDeleted(previous.definition());
            return;
        }
        if (kind == Kind.CREATE) {
            listener.serviceCreated(current.definition());
        } else if (kind == Kind.UPDATE) {
            listener.serviceUpdated(previous.definition(), current.definition());
        }
        if (created != null) {
            listener.revisionCreated(current, created);
        }
        if (trafficChanged()) {
            listener.trafficChanged(previous, current);
        }
        for (Revision revision : deleted) {
            listener.revisionDeleted(current, revision);
        }
    }
}
