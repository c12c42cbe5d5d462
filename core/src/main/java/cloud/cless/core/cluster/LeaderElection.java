package cloud.cless.core.cluster;

import cloud.cless.core.store.DatabaseFailures;
import cloud.cless.core.store.AdvisoryLock;
import cloud.cless.core.store.PostgresEndpoint;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Elects one leader among the replicas sharing a database: the replica whose session holds the advisory lock
 * {@link AdvisoryLock#LEADER}, on a connection of its own. Every {@code interval} a follower tries to take the
 * lock and the leader checks that its session still answers.
 *
 * <p>Why a session lock rather than a lease row: leadership ends exactly when the leader's session ends. A leader
 * killed (SIGKILL, a crash) has its connection closed by the kernel, PostgreSQL drops the lock at once, and a
 * follower leads at its next try, within one {@code interval}; there are no lease times to tune, no clocks to
 * trust, no writes. A leader whose host vanishes without closing its connection is dropped by the server's TCP
 * keepalive ({@link cloud.cless.core.store.PostgresTimeouts#keepalive()}, about 9 s); that leader itself gives
 * up sooner, when its check gets no answer within {@code 2 * interval}. A leader whose session the server ends
 * (a restart, {@code pg_terminate_backend}) learns it at its next check: for at most one {@code interval} it
 * may still believe it leads while another replica already does, so what a leader decides must also be safe to
 * do twice (Swarm's version index makes a scale write so).
 */
public final class LeaderElection implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(LeaderElection.class);
    static final String PURPOSE = "leader";
    private static final Duration CLOSE_WAIT = Duration.ofSeconds(5);

    private final PostgresEndpoint endpoint;
    private final Duration interval;
    private final Backoff backoff;
    private final LinkMonitor link;
    private final List<LeadershipListener> listeners = new CopyOnWriteArrayList<>();
    private final ScheduledExecutorService thread;
    private Connection connection;
    private long nextConnectNanos;
    private int failures;
    private volatile boolean leader;
    private volatile boolean closed;

    /** @param interval how often a follower tries the lock and the leader checks its session; 1 s is typical */
    public LeaderElection(PostgresEndpoint endpoint, Duration interval, Backoff backoff, Clock clock) {
        this.endpoint = endpoint;
        this.interval = interval;
        this.backoff = backoff;
        this.link = new LinkMonitor("leader election", endpoint.redactedUrl(), clock);
        this.thread = Executors.newSingleThreadScheduledExecutor(JdbcExecutor.daemonThreads("cless-leader-election"));
    }

    /** Adds a listener; add them before {@link #start()} to hear of the first leadership. */
    public LeaderElection subscribe(LeadershipListener listener) {
        listeners.add(listener);
        return this;
    }

    /** Takes part in the election in the background until {@link #close()}. */
    public void start() {
        thread.scheduleWithFixedDelay(this::tick, 0, interval.toNanos(), TimeUnit.NANOSECONDS);
    }

    /** Whether this replica leads now (as of its last check). */
    public boolean isLeader() {
        return leader;
    }

    /** Whether the election reaches the database; while it does not, this replica does not lead. */
    public DatabaseLink link() {
        return link.current();
    }

    /**
     * Leaves the election: a leader gives the lock up (its session ends) and is told {@link
     * LeadershipListener#lost()}; waits briefly for that.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        thread.execute(this::resign);
        thread.shutdown();
        try {
            if (!thread.awaitTermination(CLOSE_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
                thread.shutdownNow();
            }
        } catch (InterruptedException e) {
            thread.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }

    private void tick() {
        if (closed) {
            return;
        }
        try {
            if (connection == null) {
                if (System.nanoTime() < nextConnectNanos) {
                    return;
                }
                connection = endpoint.openDedicated(PURPOSE);
                // A check unanswered for two intervals means the session is as good as gone: stop leading before
                // the server's keepalive hands the lock to another replica.
                connection.setNetworkTimeout(Runnable::run, (int) Math.max(1000, interval.toMillis() * 2));
            }
            boolean gained = leader ? check() : tryLock();
            link.reached();
            failures = 0;
            if (gained) {
                leader = true;
                log.info("This replica ({}) leads the cluster now", endpoint.replicaId());
                listeners.forEach(l -> tell(l, true));
            }
        } catch (SQLException | RuntimeException e) {
            link.lost(DatabaseFailures.reason(e));
            dropConnection();
            failures++;
            nextConnectNanos = System.nanoTime()
                    + backoff.delay(failures, ThreadLocalRandom.current()::nextDouble).toNanos();
            if (leader) {
                leader = false;
                log.warn("This replica ({}) stops leading the cluster: its session is lost", endpoint.replicaId());
                listeners.forEach(l -> tell(l, false));
            }
        }
    }

    /**
     * The id of the replica that leads now, as the database sees it (the session holding the lock), empty when
     * none does; for {@code GET /cluster}. Run it on a {@link JdbcExecutor}:
     * {@code jdbc.call("find the leader", LeaderElection::currentLeader)}.
     */
    public static Optional<String> currentLeader(Connection connection) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("""
                SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
                WHERE l.locktype = 'advisory' AND l.granted AND l.classid = ?::oid AND l.objid = ?::oid
                  AND l.objsubid = 2 AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
                """)) {
            ps.setLong(1, Integer.toUnsignedLong(AdvisoryLock.LEADER.classId()));
            ps.setLong(2, Integer.toUnsignedLong(AdvisoryLock.LEADER.objectId()));
            try (ResultSet rs = ps.executeQuery()) {
                String prefix = "cless " + PURPOSE + " ";
                while (rs.next()) {
                    String name = rs.getString(1);
                    if (name != null && name.startsWith(prefix)) {
                        return Optional.of(name.substring(prefix.length()));
                    }
                }
                return Optional.empty();
            }
        }
    }

    private boolean tryLock() throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("SELECT pg_try_advisory_lock(?, ?)")) {
            ps.setInt(1, AdvisoryLock.LEADER.classId());
            ps.setInt(2, AdvisoryLock.LEADER.objectId());
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() && rs.getBoolean(1);
            }
        }
    }

    /** Checks that the leader's session still answers; false: nothing newly gained. */
    private boolean check() throws SQLException {
        try (Statement statement = connection.createStatement()) {
            statement.execute("SELECT 1");
        }
        return false;
    }

    private void resign() {
        dropConnection();
        if (leader) {
            leader = false;
            log.info("This replica ({}) no longer leads the cluster: it is leaving", endpoint.replicaId());
            listeners.forEach(l -> tell(l, false));
        }
    }

    private void dropConnection() {
        if (connection == null) {
            return;
        }
        try {
            connection.close(); // ends the session, and with it the lock
        } catch (SQLException e) {
            // already broken
        }
        connection = null;
    }

    private static void tell(LeadershipListener listener, boolean gained) {
        try {
            if (gained) {
                listener.gained();
            } else {
                listener.lost();
            }
        } catch (RuntimeException e) {
            log.warn("Leadership listener {} failed", listener, e);
        }
    }
}
