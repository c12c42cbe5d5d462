package cloud.cless.core.service;

/**
 * Told of every change to the registered services, after it is stored, in the order the changes were committed.
 * Called on the store's executor while the registry holds its write lock: a listener decides and hands slow work
 * elsewhere, it never blocks.
 */
public interface ServiceListener {

    default void serviceCreated(ServiceDefinition definition) {
    }

    default void serviceUpdated(ServiceDefinition previous, ServiceDefinition current) {
    }

    default void serviceDeleted(ServiceDefinition definition) {
    }
}
