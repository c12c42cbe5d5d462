package cloud.cless.core.runtime;

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
}
