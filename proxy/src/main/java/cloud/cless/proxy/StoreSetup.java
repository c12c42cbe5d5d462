package cloud.cless.proxy;

import cloud.cless.core.DataDirectory;
import cloud.cless.core.cluster.Backoff;
import cloud.cless.core.cluster.ChangeApplier;
import cloud.cless.core.cluster.ChangeFeed;
import cloud.cless.core.cluster.DatabaseLink;
import cloud.cless.core.cluster.JdbcExecutor;
import cloud.cless.core.cluster.RegistryFollower;
import cloud.cless.core.cluster.ReplicaIdentity;
import cloud.cless.core.service.ServiceRegistry;
import cloud.cless.core.store.ClusterIdentity;
import cloud.cless.core.store.MemoryServiceStore;
import cloud.cless.core.store.PostgresEndpoint;
import cloud.cless.core.store.PostgresServiceStore;
import cloud.cless.core.store.ServiceStore;
import cloud.cless.core.store.SqliteServiceStore;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The store of {@code --store}, opened for one cless process, and this process's replica id. With
 * {@code postgres}, also what keeps its registry in step with the other replicas (the change feed and its
 * applier) and the connections the cluster's coordination runs its calls on.
 */
final class StoreSetup implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(StoreSetup.class);
    /** How long a starting replica waits for another one's schema migration. */
    private static final Duration MIGRATION_LOCK_WAIT = Duration.ofSeconds(60);
    /** Reports, the leader's reads and GET /cluster: a report a second each, nothing long. */
    private static final int CLUSTER_THREADS = 2;
    private static final int CLUSTER_QUEUE = 100;

    private final ServiceStore store;
    private final String replicaId;
    private final String hostName;
    private final PostgresEndpoint endpoint;
    private final JdbcExecutor clusterCalls;
    // What follow() started, closed before the cluster's calls and the store, in reverse order.
    private final Deque<AutoCloseable> followers = new ArrayDeque<>();
    private final ChangeFeed feed;

    private StoreSetup(ServiceStore store, String replicaId, String hostName, PostgresEndpoint endpoint) {
        this.store = store;
        this.replicaId = replicaId;
        this.hostName = hostName;
        this.endpoint = endpoint;
        this.clusterCalls = endpoint == null ? null
                : JdbcExecutor.open(endpoint, "cluster", CLUSTER_THREADS, CLUSTER_QUEUE, Clock.systemUTC());
        this.feed = endpoint == null ? null : new ChangeFeed(endpoint, Backoff.DEFAULT, Clock.systemUTC());
    }

    /**
     * Opens the configured store. A shared one needs its database now: the schema is brought up to date and the
     * registry loaded before cless serves (an outage later is survived).
     *
     * @param env where {@value PostgresEndpoint#PASSWORD_ENV} is read
     */
    static StoreSetup open(ServerConfig config, DataDirectory dataDir, Map<String, String> env) {
        String host = hostName(env);
        // A new id per process: a restarted replica is a new one to the others, never two live processes under one
        // id (a data dir copied to a second host would make that), whose reports would mix.
        String replicaId = ReplicaIdentity.newId(host);
        return switch (config.store()) {
            case SQLITE -> new StoreSetup(new SqliteServiceStore(dataDir.resolve("cless.db")), replicaId, host, null);
            case MEMORY -> new StoreSetup(new MemoryServiceStore(), replicaId, host, null);
            case POSTGRES -> {
                PostgresEndpoint endpoint = PostgresEndpoint.fromStoreUrl(config.storeUrl(), env, replicaId);
                log.info("Replica {}: service definitions in the shared store {}", replicaId, endpoint.redactedUrl());
                yield new StoreSetup(PostgresServiceStore.open(endpoint, MIGRATION_LOCK_WAIT), replicaId, host,
                        endpoint);
            }
        };
    }

    /** This process's id among the replicas (on one host too, where it is the only one). */
    String replicaId() {
        return replicaId;
    }

    /** The name of this host, for people: {@code HOSTNAME}, else what the system resolver says. */
    String hostName() {
        return hostName;
    }

    /** The shared database; empty for a store of this host alone. */
    Optional<PostgresEndpoint> endpoint() {
        return Optional.ofNullable(endpoint);
    }

    /**
     * Where the cluster's coordination (reports, the leader's reads, {@code GET /cluster}) runs its calls, on
     * connections of its own, so that they never wait behind the store's; empty for a store of this host alone.
     */
    Optional<JdbcExecutor> clusterCalls() {
        return Optional.ofNullable(clusterCalls);
    }

    /** Whether the change feed listens now (down until {@link #follow} starts it); empty for a store of this host. */
    Optional<DatabaseLink> feedLink() {
        return feed == null ? Optional.empty() : Optional.of(feed.link());
    }

    ServiceStore store() {
        return store;
    }

    /**
     * The id that the instances of this cless are labelled with on an engine the replicas share (a swarm): the
     * cluster's, read from the shared store, so that every replica adopts and scales what the others made;
     * {@code own}, the data directory's, for a store of this host alone.
     */
    String sharedInstallationId(String own) {
        return endpoint == null ? own : ClusterIdentity.read(endpoint);
    }

    /**
     * From now on applies to {@code registry} what other replicas change in a shared store, each change within
     * about a second, everything again after every reconnect; nothing for a store of this host alone. Call once,
     * after the registry's listeners are added.
     */
    void follow(ServiceRegistry registry) {
        if (endpoint == null) {
            return;
        }
        ChangeApplier applier = new ChangeApplier(new RegistryFollower(registry), Backoff.DEFAULT);
        followers.push(applier);
        followers.push(feed.subscribe(applier));
        feed.start();
    }

    /** The feed, then its applier, then the cluster's connections, then the store. */
    @Override
    public void close() {
        while (!followers.isEmpty()) {
            try {
                followers.pop().close();
            } catch (Exception e) {
                log.warn("Error while closing the change feed: {}", e.toString());
            }
        }
        if (clusterCalls != null) {
            clusterCalls.close();
        }
        store.close();
    }

    @Override
    public String toString() {
        return endpoint == null ? "the service store" : "the shared store " + endpoint.redactedUrl();
    }

    private static String hostName(Map<String, String> env) {
        String name = env.get("HOSTNAME");
        if (name != null && !name.isBlank()) {
            return name;
        }
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "cless";
        }
    }
}
