package cloud.cless.core.runtime;

import java.util.Map;

/** The labels cless puts on the containers it manages, and reads back when it reconciles. */
public final class ContainerLabels {
    public static final String MANAGED = "cloud.cless.managed";
    public static final String SERVICE = "cloud.cless.service";
    public static final String INSTANCE = "cloud.cless.instance";
    public static final String HOST_PORT = "cloud.cless.host-port";
    public static final String REVISION = "cloud.cless.revision";
    /**
     * The installation (data directory) that owns the container, so that two cless processes on one engine
     * never adopt or remove each other's containers.
     */
    public static final String INSTALLATION = "cloud.cless.installation";

    private ContainerLabels() {
    }

    /** The labels of one instance's container: which installation, service, revision and instance, on which port. */
    static Map<String, String> of(String installationId, String service, String revision, String instanceId,
                                  int hostPort) {
        return Map.of(
                MANAGED, "true",
                SERVICE, service,
                REVISION, revision,
                INSTANCE, instanceId,
                HOST_PORT, Integer.toString(hostPort),
                INSTALLATION, installationId);
    }

    /** The host-port label's value, or -1 when it is missing or not a port. */
    static int hostPort(Map<String, String> labels) {
        String value = labels.get(HOST_PORT);
        if (value == null) {
            return -1;
        }
        try {
            int port = Integer.parseInt(value.strip());
            return port >= 1 && port <= 65535 ? port : -1;
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
