package cloud.cless.core.service;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What every container of a service is created from, with defaults resolved. Two definitions whose templates are
 * equal can share running containers: only what a container was created with decides that.
 *
 * @param image    image reference {@code name:tag}
 * @param port     the port the app listens on inside the container
 * @param env      the environment: the definition's, plus {@code PORT}
 * @param memoryMb memory limit in MiB, or null for none
 * @param cpus     CPU limit, or null for none
 */
public record ContainerTemplate(String image, int port, Map<String, String> env, Integer memoryMb, Double cpus) {

    /** The variable that tells the app which port to listen on. */
    public static final String PORT_VARIABLE = "PORT";

    public ContainerTemplate {
        env = Map.copyOf(env);
    }

    /** The template of {@code def}, whose defaults are applied. */
    static ContainerTemplate of(ServiceDefinition def) {
        Map<String, String> env = new LinkedHashMap<>(def.env());
        env.put(PORT_VARIABLE, Integer.toString(def.port()));
        return new ContainerTemplate(def.imageReference(), def.port(), env, def.memoryMb(), def.cpus());
    }
}
