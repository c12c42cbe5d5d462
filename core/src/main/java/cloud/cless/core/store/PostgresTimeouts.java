package cloud.cless.core.store;

import java.time.Duration;

/**
 * How long cless waits on PostgreSQL before it calls the database unreachable, so that a dead or cut-off
 * database is noticed within seconds and never holds a caller forever.
 *
 * @param connect a TCP connect and login
 * @param network any one read from the server (a black-holed connection); above {@code statement}
 * @param statement the server cancels a statement that runs longer
 * @param poolWait a caller waits at most this for a pooled connection
 * @param keepalive the server probes an idle client connection after this (then twice more, 2 s apart) and gives
 *     up on unacknowledged data 4 s after it, so the session of a replica that vanished without a FIN (its host
 *     lost), and the locks it held, end within about {@code keepalive + 4 s}
 */
public record PostgresTimeouts(Duration connect, Duration network, Duration statement, Duration poolWait,
                               Duration keepalive) {
    public static final PostgresTimeouts DEFAULTS = new PostgresTimeouts(Duration.ofSeconds(3),
            Duration.ofSeconds(10), Duration.ofSeconds(5), Duration.ofSeconds(3), Duration.ofSeconds(5));

    public PostgresTimeouts {
        for (Duration d : new Duration[] {connect, network, statement, poolWait, keepalive}) {
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException("PostgreSQL timeouts must be positive");
            }
        }
        if (network.compareTo(statement) <= 0) {
            throw new IllegalArgumentException("the network timeout must exceed the statement timeout, so that the"
                    + " server cancels a slow statement before the client gives up on the connection");
        }
    }
}
