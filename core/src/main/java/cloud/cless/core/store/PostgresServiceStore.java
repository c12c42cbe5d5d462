package cloud.cless.core.store;

import java.time.Duration;

/**
 * The shared store of {@code --store postgres}: the services in a PostgreSQL database that several cless
 * replicas use at once. Each call takes a pooled connection, so a database restart costs the calls made while
 * it is down ({@link StoreUnavailableException}) and nothing after; every write announces itself on the change
 * feed ({@link cloud.cless.core.cluster.ChangeNotices}) as it commits.
 */
public final class PostgresServiceStore extends JdbcServiceStore {
    /**
     * Connections of the store's pool. The registry makes one call at a time; the second connection covers a
     * call that starts while the pool replaces a broken one.
     */
    static final int POOL_SIZE = 2;

    private PostgresServiceStore(PostgresEndpoint endpoint) {
        super(ConnectionSource.pooled(endpoint.newPool("store", POOL_SIZE)), new PostgresDialect(),
                endpoint.redactedUrl());
    }

    /**
     * Brings the schema of the endpoint's database up to date ({@link PostgresSchema#migrate}, waiting at most
     * {@code lockWait} for another replica's migration) and opens the store on it.
     *
     * @throws StoreUnavailableException when the database cannot be reached
     * @throws StoreException when the schema cannot be brought up to date
     */
    public static PostgresServiceStore open(PostgresEndpoint endpoint, Duration lockWait) {
        PostgresSchema.migrate(endpoint, lockWait);
        return new PostgresServiceStore(endpoint);
    }
}
