package cloud.cless.core.port;

/** Every port of the range is handed out or held by another process. */
public class PortsExhaustedException extends RuntimeException {
    private final PortRange range;

    public PortsExhaustedException(PortRange range, int handedOut) {
        super("no free port in range " + range + " (" + handedOut + " handed out to containers, the rest in use"
                + " by other processes); widen --port-range or stop some services");
        this.range = range;
    }

    public PortRange range() {
        return range;
    }
}
