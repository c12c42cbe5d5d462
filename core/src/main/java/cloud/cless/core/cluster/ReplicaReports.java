package cloud.cless.core.cluster;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** Reads every replica's last report and sorts them out into a {@link ClusterView}, on the database's clock. */
public final class ReplicaReports {
    private final JdbcExecutor jdbc;
    private final ReportTiming timing;

    public ReplicaReports(JdbcExecutor jdbc, ReportTiming timing) {
        this.jdbc = jdbc;
        this.timing = timing;
    }

    /** The cluster as the reports show it now. */
    public CompletableFuture<ClusterView> read() {
        return jdbc.call("read the replicas' reports", this::read);
    }

    private ClusterView read(Connection connection) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement(
                "SELECT now() AS now, id, name, address, started_at, reported_at, revisions::text FROM replica");
             ResultSet rs = ps.executeQuery()) {
            Instant now = null;
            List<ReplicaReport> reports = new ArrayList<>();
            while (rs.next()) {
                now = instant(rs, "now");
                Instant reportedAt = instant(rs, "reported_at");
                reports.add(new ReplicaReport(rs.getString("id"), rs.getString("name"), rs.getString("address"),
                        instant(rs, "started_at"), reportedAt, ReportJson.read(rs.getString("revisions"), reportedAt)));
            }
            return ClusterView.of(now == null ? databaseNow(connection) : now, reports, timing);
        }
    }

    private static Instant databaseNow(Connection connection) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("SELECT now()"); ResultSet rs = ps.executeQuery()) {
            rs.next();
            return instant(rs, 1);
        }
    }

    private static Instant instant(ResultSet rs, String column) throws SQLException {
        return rs.getObject(column, OffsetDateTime.class).toInstant();
    }

    private static Instant instant(ResultSet rs, int column) throws SQLException {
        return rs.getObject(column, OffsetDateTime.class).toInstant();
    }
}
