package cloud.cless.core.cluster;

import cloud.cless.core.store.DatabaseFailures;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reports this replica to the cluster every {@link ReportTiming#interval()}: one upsert of its row in
 * {@code replica} (who it is, and per revision its requests in flight and how long it has been idle). In the same
 * transaction it drops the rows of replicas silent for {@link ReportTiming#deadAfter()}: declared dead. A report
 * that cannot be written is tried again at the next interval; {@link #link()} says whether reports get through.
 */
public final class ReplicaReporter implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ReplicaReporter.class);
    private static final long REMOVE_WAIT_SECONDS = 2;

    private final JdbcExecutor jdbc;
    private final ReplicaIdentity self;
    private final Supplier<Map<String, RevisionActivity>> activity;
    private final ReportTiming timing;
    private final Clock clock;
    private final ScheduledExecutorService scheduler;
    private CompletableFuture<Void> pending = CompletableFuture.completedFuture(null);

    /**
     * @param activity this replica's revisions as of now (on {@code clock}); called on the reporter's thread, so
     *     it reads thread-safe state and does not block
     */
    public ReplicaReporter(JdbcExecutor jdbc, ReplicaIdentity self, Supplier<Map<String, RevisionActivity>> activity,
                           ReportTiming timing, Clock clock) {
        this.jdbc = jdbc;
        this.self = self;
        this.activity = activity;
        this.timing = timing;
        this.clock = clock;
        this.scheduler = Executors.newSingleThreadScheduledExecutor(JdbcExecutor.daemonThreads("cless-replica-report"));
    }

    /** Reports now and then every interval until {@link #close()}. */
    public void start() {
        scheduler.scheduleAtFixedRate(this::tick, 0, timing.interval().toNanos(), TimeUnit.NANOSECONDS);
    }

    /** Whether the last reports reached the database. */
    public DatabaseLink link() {
        return jdbc.link();
    }

    /** Writes one report now, and drops replicas silent for too long; the future says whether it got through. */
    public CompletableFuture<Void> reportNow() {
        String revisions = ReportJson.write(activity.get(), clock.instant());
        return jdbc.transaction("report replica " + self.id(), connection -> {
            upsert(connection, revisions);
            dropDead(connection);
            return null;
        });
    }

    private synchronized void tick() {
        if (!pending.isDone()) {
            return; // the database is slow: skip a beat rather than pile reports up
        }
        try {
            // Failures show in link(), logged once per outage by the executor.
            pending = reportNow().exceptionally(e -> null);
        } catch (RuntimeException e) {
            log.warn("Replica {}: cannot build its report", self.id(), e);
        }
    }

    private void upsert(Connection connection, String revisions) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("""
                INSERT INTO replica (id, name, address, started_at, reported_at, revisions)
                VALUES (?, ?, ?, ?, now(), ?::jsonb)
                ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, address = EXCLUDED.address,
                    started_at = EXCLUDED.started_at, reported_at = EXCLUDED.reported_at,
                    revisions = EXCLUDED.revisions""")) {
            ps.setString(1, self.id());
            ps.setString(2, self.name());
            ps.setString(3, self.address());
            ps.setObject(4, OffsetDateTime.ofInstant(self.startedAt(), ZoneOffset.UTC));
            ps.setString(5, revisions);
            ps.executeUpdate();
        }
    }

    private void dropDead(Connection connection) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("""
                DELETE FROM replica WHERE reported_at < now() - make_interval(secs => ?) AND id <> ?
                RETURNING id, address, reported_at, now() - reported_at AS silent""")) {
            ps.setDouble(1, timing.deadAfter().toMillis() / 1000.0);
            ps.setString(2, self.id());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    log.warn("Replica {} ({}) declared dead: no report since {} ({} ago)", rs.getString("id"),
                            rs.getString("address"), rs.getObject("reported_at", OffsetDateTime.class),
                            rs.getString("silent"));
                }
            }
        }
    }

    /** Stops reporting and removes this replica's row, so the others need not wait for it to be declared dead. */
    @Override
    public void close() {
        scheduler.shutdownNow();
        try {
            scheduler.awaitTermination(REMOVE_WAIT_SECONDS, TimeUnit.SECONDS);
            CompletableFuture<Void> last;
            synchronized (this) {
                last = pending;
            }
            last.get(REMOVE_WAIT_SECONDS, TimeUnit.SECONDS);
            jdbc.call("remove replica " + self.id(), connection -> {
                try (PreparedStatement ps = connection.prepareStatement("DELETE FROM replica WHERE id = ?")) {
                    ps.setString(1, self.id());
                    return ps.executeUpdate();
                }
            }).get(REMOVE_WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            log.info("Replica {}: its report could not be removed ({}); the others declare it dead after {} s",
                    self.id(), DatabaseFailures.reason(e), timing.deadAfter().toSeconds());
        }
    }
}
