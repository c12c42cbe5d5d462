package cloud.cless.core.service;

import java.util.Map;

/**
 * What the containers of one revision run: the fields of a definition that a running container (or an upstream)
 * is made from. A change to any of them makes a new revision; every other field changes in place.
 *
 * @param imageName     image to run, null for an upstream
 * @param imageTag      its tag
 * @param upstream      fixed address instead of an image
 * @param port          container port
 * @param env           container environment (without {@code PORT})
 * @param readinessPath path the readiness probe asks for, null for {@code /} with any status
 * @param memoryMb      memory limit, null for none
 * @param cpus          CPU limit, null for none
 */
public record RevisionSpec(
        String imageName,
        String imageTag,
        String upstream,
        Integer port,
        Map<String, String> env,
        String readinessPath,
        Integer memoryMb,
        Double cpus) {

    public RevisionSpec {
        env = env == null ? Map.of() : Map.copyOf(env);
    }

    /** The container fields of {@code definition}. */
    public static RevisionSpec of(ServiceDefinition definition) {
        return new RevisionSpec(definition.imageName(), definition.imageTag(), definition.upstream(),
                definition.port(), definition.env(), definition.readinessPath(), definition.memoryMb(),
                definition.cpus());
    }

    /** True when the service is a fixed address rather than a container. */
    public boolean isUpstream() {
        return upstream != null;
    }

    /** The image reference Docker is asked for, {@code name:tag}; null for an upstream. */
    public String imageReference() {
        return imageName == null ? null : imageName + ":" + (imageTag == null ? "latest" : imageTag);
    }
}
