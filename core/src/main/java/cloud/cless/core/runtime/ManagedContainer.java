package cloud.cless.core.runtime;

/**
 * A container found on the engine with cless labels.
 *
 * @param id         the engine's container id
 * @param name       the container name without the leading slash
 * @param service    value of the service label
 * @param instanceId value of the instance label
 * @param hostPort   value of the host-port label, or -1 when it is missing or malformed
 * @param state      the engine's state word: {@code created}, {@code running}, {@code paused}, {@code exited}, ...
 */
public record ManagedContainer(String id, String name, String service, String instanceId, int hostPort, String state) {

    public boolean isRunning() {
        return "running".equals(state);
    }
}
