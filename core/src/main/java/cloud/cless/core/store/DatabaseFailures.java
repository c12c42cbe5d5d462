package cloud.cless.core.store;

import java.io.IOException;
import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLTransientConnectionException;

/** Tells a database that cannot be reached from one that answered with an error, for PostgreSQL's SQLSTATEs. */
public final class DatabaseFailures {

    private DatabaseFailures() {
    }

    /**
     * True when the failure means the database was not reached or went away (so the call may succeed later),
     * false when it answered (a constraint, a syntax error, a serialization failure).
     */
    public static boolean isUnavailable(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof SQLTransientConnectionException || t instanceof SQLNonTransientConnectionException
                    || t instanceof IOException) {
                return true;
            }
            if (t instanceof SQLException sql && sql.getSQLState() != null && isUnavailableState(sql.getSQLState())) {
                return true;
            }
        }
        return false;
    }

    /**
     * Why a call failed, in the words closest to the cause: the deepest SQL exception's message (a pool's "timed
     * out waiting for a connection" carries the refused connect that caused it), else the failure's own.
     */
    public static String reason(Throwable failure) {
        String reason = null;
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof SQLException && t.getMessage() != null) {
                reason = t.getMessage();
            }
        }
        if (reason == null) {
            reason = failure.getMessage() != null ? failure.getMessage() : failure.getClass().getSimpleName();
        }
        return reason.strip();
    }

    private static boolean isUnavailableState(String state) {
        return state.startsWith("08")          // connection exception
                || state.startsWith("57P")     // admin or crash shutdown, cannot connect now, database dropped
                || state.startsWith("28")      // invalid authorization: the credentials are refused
                || state.equals("53300")       // too many connections
                || state.equals("3D000");      // the database does not exist
    }

    /**
     * The store's exception for a failed call: {@link StoreUnavailableException} when the database was not
     * reached, else {@link StoreException}; the message says what was being done and why it failed.
     */
    public static StoreException translate(String what, SQLException e) {
        String message = "cannot " + what + ": " + reason(e);
        return isUnavailable(e) ? new StoreUnavailableException(message, e) : new StoreException(message, e);
    }
}
