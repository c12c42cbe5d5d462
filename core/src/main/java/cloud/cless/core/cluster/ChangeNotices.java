package cloud.cless.core.cluster;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * Announces changes on the change feed's channel. Call it in the transaction that makes the change: PostgreSQL
 * delivers the notification when that transaction commits, and never when it rolls back.
 */
public final class ChangeNotices {
    /** The LISTEN/NOTIFY channel of the change feed. */
    public static final String CHANNEL = "cless_change";

    private ChangeNotices() {
    }

    /** Numbers the change from {@code change_seq}, queues its notification, and returns the change. */
    public static Change announce(Connection connection, String subject, String id) throws SQLException {
        Change unnumbered = new Change(subject, id, 0); // validates before anything is sent
        try (PreparedStatement ps = connection.prepareStatement(
                "SELECT s.n, pg_notify(?, ? || ':' || s.n || ':' || ?) FROM (SELECT nextval('change_seq') AS n) s")) {
            ps.setString(1, CHANNEL);
            ps.setString(2, unnumbered.subject());
            ps.setString(3, unnumbered.id());
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return new Change(subject, id, rs.getLong(1));
            }
        }
    }
}
