package cloud.cless.core.cluster;

/**
 * Told of changes other replicas (and this one) made to the shared store, on the change feed's thread, in order:
 * it must hand slow work (reading the store) to an executor of its own.
 */
public interface ChangeListener {

    /**
     * Anything may have changed: the feed has just (re)connected, and PostgreSQL does not replay notifications
     * sent while it was away. Read everything again. Comes before any {@link #changed} of that connection.
     */
    void reloadAll();

    /** {@code change} was committed: read that thing's current state again (it may be gone). */
    void changed(Change change);
}
