package cloud.cless.core.store;

/**
 * The store's database cannot be reached (refused, timed out, shut down, too many connections, bad credentials):
 * nothing was read or written, and the same call may succeed once the database is back.
 */
public class StoreUnavailableException extends StoreException {
    public StoreUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
