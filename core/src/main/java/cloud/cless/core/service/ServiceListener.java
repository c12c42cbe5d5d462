package cloud.cless.core.service;

/** Told of every change to the registered services, after it is stored. Called on the blocking executor. */
public interface ServiceListener {

    default void serviceCreated(ServiceDefinition definition) {
    }

    default void serviceUpdated(ServiceDefinition previous, ServiceDefinition current) {
    }

    default void serviceDeleted(ServiceDefinition definition) {
    }
}
