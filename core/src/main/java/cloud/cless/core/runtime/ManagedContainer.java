package cloud.cless.core.runtime;

/**
 * A container found on the engine with this installation's labels.
 *
 * @param id         the engine's container id
 * @param name       the container name without the leading slash
 * @param service    value of the service label
 * @param revision   value of the revision label; null on a container made by a release of cless before revisions
 * @param instanceId value of the instance label
 * @param hostPort   value of the host-port label, or -1 when it is missing or malformed
 * @param state      where the container is in its life
 */
public record ManagedContainer(String id, String name, String service, String revision, String instanceId,
                               int hostPort, ContainerState state) {
}
