package cloud.cless.core.store;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * The id of a cluster of cless replicas sharing one PostgreSQL store, made once by the schema's migration. Replicas
 * that run instances on one Docker Swarm label its services with this id, not their data directories' own: each
 * replica then reconciles, adopts and scales the services the others made, and never those of another cluster on
 * the same swarm.
 */
public final class ClusterIdentity {

    private ClusterIdentity() {
    }

    /**
     * Reads the id from the store's database (migrated: {@link PostgresServiceStore#open} does that).
     *
     * @throws StoreUnavailableException when the database cannot be reached
     * @throws StoreException when the schema has no cluster id
     */
    public static String read(PostgresEndpoint endpoint) {
        try (Connection connection = endpoint.openDedicated("cluster identity");
             Statement statement = connection.createStatement();
             ResultSet rs = statement.executeQuery("SELECT id FROM cluster_identity")) {
            if (!rs.next()) {
                throw new StoreException("the shared store " + endpoint.redactedUrl() + " has no cluster id", null);
            }
            return rs.getString(1);
        } catch (SQLException e) {
            throw DatabaseFailures.translate("read the cluster id from " + endpoint.redactedUrl(), e);
        }
    }
}
