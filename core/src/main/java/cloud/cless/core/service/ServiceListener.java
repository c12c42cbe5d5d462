package cloud.cless.core.service;

/**
 * Told of every change to the registered services, after it is stored, in the order the changes were committed.
 * Called while the registry holds its write lock, on the store's executor for changes made through this registry
 * and on the change feed's thread for those another replica made in a shared store (told as if made here:
 * {@code previous} is what this replica last knew): a listener decides and hands slow work elsewhere, it never
 * blocks.
 *
 * <p>One change may make several calls, always in this order: {@link #serviceCreated} or {@link #serviceUpdated}
 * (for a POST or PUT of a definition), {@link #revisionCreated}, {@link #trafficChanged}, then
 * {@link #revisionDeleted} for each revision it deleted. Every argument is an immutable snapshot of the moment
 * of that change.
 */
public interface ServiceListener {

    default void serviceCreated(ServiceDefinition definition) {
    }

    default void serviceUpdated(ServiceDefinition previous, ServiceDefinition current) {
    }

    /** The service and all of its revisions are gone. */
    default void serviceDeleted(ServiceDefinition definition) {
    }

    /**
     * A revision was made: the first one with its service, later ones by a change to what containers run.
     *
     * @param service the service as the change left it; {@code revision} is its latest
     */
    default void revisionCreated(RegisteredService service, Revision revision) {
    }

    /**
     * The revisions that get requests, their percents, or the revisions that tags reach changed: by a change of
     * the traffic, or by a new revision that a {@code latest} entry follows.
     *
     * @param previous the service before the change, null when it was just created
     * @param current  the service after it
     */
    default void trafficChanged(RegisteredService previous, RegisteredService current) {
    }

    /**
     * A revision of a service that stays was deleted (by the admin API, or because it fell out of the revision
     * history with no traffic or tag); its instances should go.
     *
     * @param service the service as the change left it, without {@code revision}
     */
    default void revisionDeleted(RegisteredService service, Revision revision) {
    }
}
