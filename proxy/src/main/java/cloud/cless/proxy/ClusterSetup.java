package cloud.cless.proxy;

import cloud.cless.core.cluster.Backoff;
import cloud.cless.core.cluster.ClusterLeader;
import cloud.cless.core.cluster.ClusterScaler;
import cloud.cless.core.cluster.ClusterStartGate;
import cloud.cless.core.cluster.ClusterStatus;
import cloud.cless.core.cluster.DatabaseLink;
import cloud.cless.core.cluster.InstanceSharing;
import cloud.cless.core.cluster.JdbcExecutor;
import cloud.cless.core.cluster.LeaderElection;
import cloud.cless.core.cluster.ReplicaIdentity;
import cloud.cless.core.cluster.ReplicaReporter;
import cloud.cless.core.cluster.ReplicaReports;
import cloud.cless.core.cluster.ReportTiming;
import cloud.cless.core.cluster.RevisionActivity;
import cloud.cless.core.cluster.SharedClusterStatus;
import cloud.cless.core.cluster.SingleReplicaStatus;
import cloud.cless.core.instance.InstanceLifecycle;
import cloud.cless.core.instance.RevisionCatalog;
import cloud.cless.core.instance.ServiceDirectory;
import cloud.cless.core.instance.StartGate;
import cloud.cless.core.store.PostgresEndpoint;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This cless as a replica of the cluster. With a shared store: its start gate (from the database link of the
 * change feed, the reports and the election), its reports, its part in the leader election and, while it leads,
 * the leader's rounds; with a store of this host alone, none of that, and a cluster of one.
 *
 * <p>Three steps, as the server comes up: {@link #open} before the lifecycle (which takes the {@link #startGate()}),
 * {@link #attach} once the lifecycle exists (the status {@code GET /cluster} reads), {@link #serving} once the
 * proxy listens (its address is the replica's). Closing stops the leader's rounds, removes this replica's report
 * and leaves the election; the store's own parts close after it.
 */
final class ClusterSetup implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ClusterSetup.class);
    private static final Duration ELECTION_INTERVAL = Duration.ofSeconds(1);
    private static final Duration LEADER_INTERVAL = Duration.ofSeconds(1);

    private final StoreSetup store;
    private final InstanceSharing sharing;
    private final Clock clock;
    private final Instant startedAt;
    private final JdbcExecutor calls;
    private final LeaderElection election;
    private final StartGate gate;
    // What attach() and serving() started, closed in reverse order.
    private final Deque<AutoCloseable> running = new ArrayDeque<>();
    private volatile ReplicaIdentity self;
    private Supplier<Map<String, RevisionActivity>> activity;
    private ClusterLeader leader;

    private ClusterSetup(StoreSetup store, String bind, int port, InstanceSharing sharing, Clock clock) {
        this.store = store;
        this.sharing = sharing;
        this.clock = clock;
        this.startedAt = clock.instant();
        this.self = identity(new InetSocketAddress(bind, port));
        this.calls = store.clusterCalls().orElse(null);
        Optional<PostgresEndpoint> endpoint = store.endpoint();
        this.election = endpoint.map(e -> new LeaderElection(e, ELECTION_INTERVAL, Backoff.DEFAULT, clock))
                .orElse(null);
        this.gate = endpoint.map(e -> ClusterStartGate.of(sharing, this::link, e.redactedUrl()))
                .orElse(StartGate.OPEN);
    }

    /**
     * The replica of {@code store}, whose proxy will listen on {@code bind:port}, running instances shared as
     * {@code sharing} (the docker runtime's are {@link InstanceSharing#PER_REPLICA}).
     */
    static ClusterSetup open(StoreSetup store, String bind, int port, InstanceSharing sharing, Clock clock) {
        return new ClusterSetup(store, bind, port, sharing, clock);
    }

    /** What the lifecycle consults before it starts an instance; see {@link ClusterStartGate} for the rule. */
    StartGate startGate() {
        return gate;
    }

    /**
     * Takes this replica's load from {@code instances} and the revisions' settings from {@code services}; returns
     * what {@code GET /cluster} answers from. {@code scaler} carries out the leader's decisions while this replica
     * leads.
     */
    ClusterStatus attach(InstanceLifecycle instances, ServiceDirectory services, ClusterScaler scaler) {
        activity = () -> RevisionActivity.of(instances.activity());
        if (election == null) {
            return new SingleReplicaStatus(() -> self, activity, clock);
        }
        ReplicaReports reports = new ReplicaReports(calls, ReportTiming.DEFAULT);
        leader = new ClusterLeader(reports::read, () -> RevisionCatalog.of(services), scaler, LEADER_INTERVAL);
        election.subscribe(leader);
        running.push(leader);
        return new SharedClusterStatus(() -> self, activity, reports, calls, this::link, leader::lastPlan, clock);
    }

    /** The proxy listens on {@code proxyAddress}: this replica reports itself and takes part in the election. */
    void serving(InetSocketAddress proxyAddress) {
        self = identity(proxyAddress);
        if (election == null) {
            return;
        }
        ReplicaReporter reporter = new ReplicaReporter(calls, self, activity, ReportTiming.DEFAULT, clock);
        running.push(election);
        running.push(reporter);
        reporter.start();
        election.start();
        log.info("Replica {} ({} at {}) reports to the cluster and takes part in its election; instances are {}",
                self.id(), self.name(), self.address(), sharing == InstanceSharing.SHARED
                        ? "shared: none is started while the database is unreachable"
                        : "this replica's own: they start whether the database is reachable or not");
    }

    /**
     * Whether this replica reaches the shared database, as the change feed, its reports and its election last
     * found it (down when any is); null on one host.
     */
    DatabaseLink link() {
        if (election == null) {
            return null;
        }
        List<DatabaseLink> links = new ArrayList<>(3);
        store.feedLink().ifPresent(links::add);
        links.add(calls.link());
        links.add(election.link());
        return DatabaseLink.combined(links);
    }

    /** Its report removed, out of the election, the leader's rounds stopped; blocks for a few seconds at most. */
    @Override
    public void close() {
        while (!running.isEmpty()) {
            AutoCloseable part = running.pop();
            try {
                part.close();
            } catch (Exception e) {
                log.warn("Error while leaving the cluster ({}): {}", part, e.toString());
            }
        }
    }

    private ReplicaIdentity identity(InetSocketAddress proxy) {
        return new ReplicaIdentity(store.replicaId(), store.hostName() + ":" + proxy.getPort(),
                ReplicaAddress.advertised(proxy), startedAt);
    }
}
