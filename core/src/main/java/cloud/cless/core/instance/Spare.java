package cloud.cless.core.instance;

import cloud.cless.core.service.ServiceDefinition;
import java.util.concurrent.CompletableFuture;

/**
 * A container of a service created ahead of need but not started, so that a cold start is only {@code start} and
 * readiness. It holds a host port from the moment its creation begins; a cold start that claims it owns its
 * container and port from then on. The volatile fields are written once by the creation.
 */
final class Spare {
    final String id;
    final ServiceDefinition definition;
    /** Completes with the container id once the container exists, or exceptionally when creating it failed. */
    final CompletableFuture<String> created = new CompletableFuture<>();
    /** Completes once a discarded spare's container is removed and its port is given back. */
    final CompletableFuture<Void> gone = new CompletableFuture<>();

    volatile int hostPort = -1;
    volatile String containerId;
    /** When the container came to exist; until then the largest value, so no listing can miss it. */
    volatile long createdAtMillis = Long.MAX_VALUE;

    Spare(String id, ServiceDefinition definition) {
        this.id = id;
        this.definition = definition;
    }

    String service() {
        return definition.name();
    }

    /** The container name, {@code cless-<service>-<id>}: the instance that claims it keeps the id. */
    String containerName() {
        return "cless-" + definition.name() + "-" + id;
    }
}
