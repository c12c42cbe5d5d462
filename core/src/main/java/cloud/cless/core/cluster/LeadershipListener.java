package cloud.cless.core.cluster;

/**
 * Told when this replica becomes the cluster's leader and when it stops being it, on the election's thread,
 * strictly alternating (gained, lost, gained...). It must not block: hand work to an executor of its own.
 */
public interface LeadershipListener {

    /** This replica leads from now on: it makes the cluster's scale decisions. */
    void gained();

    /**
     * This replica no longer leads (its session is gone, or it closed): stop making decisions at once, since
     * another replica may lead already.
     */
    void lost();
}
