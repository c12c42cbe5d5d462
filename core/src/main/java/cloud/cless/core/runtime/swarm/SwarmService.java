package cloud.cless.core.runtime.swarm;

import java.util.Map;

/**
 * A Swarm service as the manager holds it.
 *
 * @param id       the service id
 * @param name     the service name, {@code cless-<revision>}
 * @param version  the version index every update must be based on
 * @param replicas the replicas asked for (not how many run), or -1 for a service that is not replicated
 * @param image    the image of its tasks
 * @param labels   the service's labels (the {@code cloud.cless.*} ones for services cless made)
 */
public record SwarmService(
        String id,
        String name,
        long version,
        int replicas,
        String image,
        Map<String, String> labels) {

    public SwarmService {
        labels = Map.copyOf(labels);
    }
}
