package cloud.cless.core.store;

/**
 * A PostgreSQL advisory lock cless takes, as the two-int key {@code (CLESS, id)}: every key cless uses is listed
 * here so that none collides with another. A cless cluster has a database of its own: keys are per database.
 */
public record AdvisoryLock(int classId, int objectId, String purpose) {
    /** The first key half of every cless lock ("cles" in ASCII), so they stand apart in {@code pg_locks}. */
    public static final int CLESS = 0x636c6573;

    /** Held while a replica migrates the schema, so replicas starting together do not race. */
    public static final AdvisoryLock SCHEMA_MIGRATION = new AdvisoryLock(CLESS, 1, "schema migration");

    /** Held by the cluster's leader for as long as its session lives. */
    public static final AdvisoryLock LEADER = new AdvisoryLock(CLESS, 2, "leader");
}
