package cloud.cless.core.cluster;

import java.time.Instant;
import java.util.Collection;

/**
 * Whether a part of cless reaches PostgreSQL, as it last found out: read without blocking (a snapshot), e.g. to
 * answer a request that needs a cold start with 503 while the database is cut off.
 *
 * @param up the last attempt reached the database
 * @param since when this state began (the first failure of an outage, the first success after it)
 * @param failure why the database is unreachable; null while up
 */
public record DatabaseLink(boolean up, Instant since, String failure) {

    static DatabaseLink up(Instant since) {
        return new DatabaseLink(true, since, null);
    }

    static DatabaseLink down(Instant since, String failure) {
        return new DatabaseLink(false, since, failure);
    }

    /**
     * What a set of parts reaching the same database says together: down (since the earliest outage) when any is
     * down, else up since the latest recovery.
     */
    public static DatabaseLink combined(Collection<DatabaseLink> links) {
        DatabaseLink result = null;
        for (DatabaseLink link : links) {
            if (!link.up()) {
                if (result == null || result.up() || link.since().isBefore(result.since())) {
                    result = link;
                }
            } else if (result == null || (result.up() && link.since().isAfter(result.since()))) {
                result = link;
            }
        }
        if (result == null) {
            throw new IllegalArgumentException("no links to combine");
        }
        return result;
    }
}
