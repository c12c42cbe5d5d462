package cloud.cless.core.cluster;

import cloud.cless.core.store.DatabaseFailures;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps one part's {@link DatabaseLink} from the outcome of its calls, and logs each change once: an outage when
 * it starts (not at every failed retry), the recovery with how long it lasted.
 */
public final class LinkMonitor {
    private static final Logger log = LoggerFactory.getLogger(LinkMonitor.class);

    private final String part;
    private final String database;
    private final Clock clock;
    private volatile DatabaseLink link;
    private boolean outageLogged;

    /**
     * @param part what reaches the database, for the log ("change feed", "leader election")
     * @param database the redacted URL
     */
    public LinkMonitor(String part, String database, Clock clock) {
        this.part = part;
        this.database = database;
        this.clock = clock;
        this.link = DatabaseLink.down(clock.instant(), "not connected yet");
    }

    public DatabaseLink current() {
        return link;
    }

    /** The database answered. */
    public synchronized void reached() {
        DatabaseLink before = link;
        if (before.up()) {
            return;
        }
        Instant now = clock.instant();
        link = DatabaseLink.up(now);
        if (outageLogged) {
            outageLogged = false;
            log.info("PostgreSQL {} reached again by the {} after {} ms", database, part,
                    Duration.between(before.since(), now).toMillis());
        }
    }

    /**
     * A call failed. Only a failure to reach the database changes the link (see {@link DatabaseFailures}); an
     * error the database answered with means it is up.
     */
    public synchronized void failed(Throwable failure) {
        if (DatabaseFailures.isUnavailable(failure)) {
            lost(DatabaseFailures.reason(failure));
        } else {
            reached();
        }
    }

    /** The database is unreachable for {@code reason}; the outage keeps the time it began, the latest reason. */
    public synchronized void lost(String reason) {
        DatabaseLink before = link;
        link = DatabaseLink.down(before.up() ? clock.instant() : before.since(), reason);
        if (!outageLogged) {
            outageLogged = true;
            log.warn("PostgreSQL {} cannot be reached by the {}: {}", database, part, reason);
        }
    }
}
