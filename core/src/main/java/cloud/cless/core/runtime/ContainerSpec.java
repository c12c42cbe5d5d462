package cloud.cless.core.runtime;

import cloud.cless.core.service.ContainerTemplate;
import java.util.Map;

/**
 * Everything the runtime needs to create one container of a service.
 *
 * @param name          container name, {@code cless-<service>-<instanceId>}
 * @param image         image reference {@code name:tag}
 * @param containerPort the port the app listens on inside the container
 * @param hostPort      the port on 127.0.0.1 it is published on
 * @param env           environment, including {@code PORT}
 * @param labels        the {@code cloud.cless.*} labels
 * @param memoryMb      memory limit in MiB, or null for none
 * @param cpus          CPU limit, or null for none
 */
public record ContainerSpec(
        String name,
        String image,
        int containerPort,
        int hostPort,
        Map<String, String> env,
        Map<String, String> labels,
        Integer memoryMb,
        Double cpus) {

    public ContainerSpec {
        env = Map.copyOf(env);
        labels = Map.copyOf(labels);
    }

    /** The container of instance {@code instanceId} of {@code revision} (of {@code service}), from {@code template}. */
    public static ContainerSpec forInstance(String installationId, String service, String revision,
                                            String instanceId, ContainerTemplate template, int hostPort) {
        return new ContainerSpec(name(service, instanceId), template.image(), template.port(), hostPort,
                template.env(), ContainerLabels.of(installationId, service, revision, instanceId, hostPort),
                template.memoryMb(), template.cpus());
    }

    /** The name of instance {@code instanceId}'s container: {@code cless-<service>-<instanceId>}. */
    public static String name(String service, String instanceId) {
        return "cless-" + service + "-" + instanceId;
    }
}
