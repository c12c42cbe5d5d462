package cloud.cless.core.store;

/** A store could not read or write (I/O or database error). */
public class StoreException extends RuntimeException {
    public StoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
