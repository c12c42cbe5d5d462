package cloud.cless.core.runtime;

/**
 * Something the engine reported about one managed container that ends its life as an instance.
 *
 * @param containerId the engine's container id
 * @param kind        what happened
 * @param service     value of the service label, or null when the engine did not report it
 * @param instanceId  value of the instance label, or null when the engine did not report it
 */
public record ContainerEvent(String containerId, Kind kind, String service, String instanceId) {

    /** The container events cless reacts to. */
    public enum Kind {
        /** The main process exited, crashed or was killed. */
        DIED,
        /** The kernel's OOM killer hit a process of the container. */
        OOM,
        /** The container was removed. */
        DESTROYED;

        /** The kind for an engine action word ({@code die}, {@code oom}, {@code destroy}), or null for others. */
        public static Kind ofAction(String action) {
            if (action == null) {
                return null;
            }
            return switch (action) {
                case "die" -> DIED;
                case "oom" -> OOM;
                case "destroy" -> DESTROYED;
                default -> null;
            };
        }
    }
}
