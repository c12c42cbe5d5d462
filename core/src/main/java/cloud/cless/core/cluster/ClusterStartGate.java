package cloud.cless.core.cluster;

import cloud.cless.core.instance.StartGate;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether a replica of a cluster may start instances while it is cut off from the shared database.
 *
 * <p>With {@link InstanceSharing#SHARED shared} instances, no: a start is a change to the cluster's instances that
 * the cluster could not account for. The replica's load does not reach the leader (its report cannot be written),
 * so once it is declared dead the leader may scale the new instance away at once; and its definitions may be
 * behind (the change feed is down too), so it may start a revision that was replaced or deleted meanwhile. Its
 * requests that need a start get 503 + Retry-After naming the database, and warm instances keep serving from what
 * the replica knows, until the database is back.
 *
 * <p>With {@link InstanceSharing#PER_REPLICA per-replica} instances (the docker runtime), yes: the containers are the
 * replica's own, on its own engine, started for its own requests and reaped by its own idle timeout; no other
 * replica counts on them or scales them, so refusing would only turn an outage of the database into an outage of
 * the service. The one risk, definitions behind the store's, is the same for warm instances, which serve anyway.
 */
public final class ClusterStartGate implements StartGate {
    private static final Logger log = LoggerFactory.getLogger(ClusterStartGate.class);

    private final Supplier<DatabaseLink> link;
    private final String database;
    private volatile boolean refusing;

    private ClusterStartGate(Supplier<DatabaseLink> link, String database) {
        this.link = link;
        this.database = database;
    }

    /**
     * The gate for instances shared as {@code sharing}: always open for {@link InstanceSharing#PER_REPLICA};
     * for {@link InstanceSharing#SHARED}, closed while {@code link} is down.
     *
     * @param link whether this replica reaches the database now (read without blocking, at every start)
     * @param database the redacted URL, for the message
     */
    public static StartGate of(InstanceSharing sharing, Supplier<DatabaseLink> link, String database) {
        return sharing == InstanceSharing.PER_REPLICA ? StartGate.OPEN : new ClusterStartGate(link, database);
    }

    @Override
    public String refusal() {
        DatabaseLink now = link.get();
        if (now.up()) {
            if (refusing) {
                changed(false, now);
            }
            return null;
        }
        if (!refusing) {
            changed(true, now);
        }
        return "no instance can be started while the shared database " + database + " is unreachable (since "
                + now.since() + ": " + now.failure() + "); warm instances keep serving";
    }

    /** Logs each change once, however many starts ask. */
    private synchronized void changed(boolean refuse, DatabaseLink now) {
        if (refusing == refuse) {
            return;
        }
        refusing = refuse;
        if (refuse) {
            log.warn("Instances are not started while the shared database {} is unreachable ({}): requests that"
                    + " need one get 503 until it is back", database, now.failure());
        } else {
            log.info("The shared database {} is reachable again: instances are started again", database);
        }
    }

    @Override
    public String toString() {
        return "starts only while " + database + " is reachable";
    }
}
