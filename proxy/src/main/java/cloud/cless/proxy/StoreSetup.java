package cloud.cless.proxy;

import cloud.cless.core.DataDirectory;
import cloud.cless.core.cluster.Backoff;
import cloud.cless.core.cluster.ChangeApplier;
import cloud.cless.core.cluster.ChangeFeed;
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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The store of {@code --store}, opened for one cless process. With {@code postgres}, also this process's replica
 * id and what keeps its registry in step with the other replicas: the change feed and its applier.
 */
final class StoreSetup implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(StoreSetup.class);
    /** How long a starting replica waits for another one's schema migration. */
    private static final Duration MIGRATION_LOCK_WAIT = Duration.ofSeconds(60);

    private final ServiceStore store;
    private final PostgresEndpoint endpoint;
    // What follow() started, closed before the store in reverse order.
    private final Deque<AutoCloseable> followers = new ArrayDeque<>();

    private StoreSetup(ServiceStore store, PostgresEndpoint endpoint) {
        this.store = store;
        this.endpoint = endpoint;
    }

    /**
     * Opens the configured store. A shared one needs its database now: the schema is brought up to date and the
     * registry loaded before cless serves (an outage later is survived).
     *
     * @param env where {@value PostgresEndpoint#PASSWORD_ENV} is read
     */
    static StoreSetup open(ServerConfig config, DataDirectory dataDir, Map<String, String> env) {
        return switch (config.store()) {
            case SQLITE -> new StoreSetup(new SqliteServiceStore(dataDir.resolve("cless.db")), null);
            case MEMORY -> new StoreSetup(new MemoryServiceStore(), null);
            case POSTGRES -> {
                // A new id per process: a restarted replica is a new one to the others, never two live processes
                // under one id (a data dir copied to a second host would make that), whose reports would mix.
                String replicaId = ReplicaIdentity.newId(hostName(env));
                PostgresEndpoint endpoint = PostgresEndpoint.fromStoreUrl(config.storeUrl(), env, replicaId);
                log.info("Replica {}: service definitions in the shared store {}", replicaId, endpoint.redactedUrl());
                yield new StoreSetup(PostgresServiceStore.open(endpoint, MIGRATION_LOCK_WAIT), endpoint);
            }
        };
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
        ChangeFeed feed = new ChangeFeed(endpoint, Backoff.DEFAULT, Clock.systemUTC()).subscribe(applier);
        followers.push(feed);
        feed.start();
    }

    @Override
    public void close() {
        while (!followers.isEmpty()) {
            try {
                followers.pop().close();
            } catch (Exception e) {
                log.warn("Error while closing the change feed: {}", e.toString());
            }
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
