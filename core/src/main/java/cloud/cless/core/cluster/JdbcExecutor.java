package cloud.cless.core.cluster;

import cloud.cless.core.store.DatabaseFailures;
import cloud.cless.core.store.PostgresEndpoint;
import cloud.cless.core.store.StoreUnavailableException;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;

/**
 * Runs JDBC work on a bounded set of threads of its own, each call on a pooled connection, and hands the result
 * back as a future (completed on a JDBC thread: an event loop continues with {@code *Async(..., eventLoop)}).
 * A full queue fails the call at once rather than queueing without bound. Every outcome updates the
 * {@link #link()}.
 */
public final class JdbcExecutor implements AutoCloseable {
    private static final long CLOSE_WAIT_SECONDS = 5;

    private final DataSource dataSource;
    private final AutoCloseable ownedPool;
    private final String database;
    private final int queueCapacity;
    private final LinkMonitor link;
    private final ThreadPoolExecutor threads;

    /**
     * @param dataSource connections, at least {@code threadCount} of them so no thread waits for another's
     * @param database the redacted URL, for messages
     * @param queueCapacity calls waiting for a thread, beyond which a call fails with
     *     {@link StoreUnavailableException}
     */
    public JdbcExecutor(DataSource dataSource, String name, String database, int threadCount, int queueCapacity,
                        Clock clock) {
        this(dataSource, null, name, database, threadCount, queueCapacity, clock);
    }

    private JdbcExecutor(DataSource dataSource, AutoCloseable ownedPool, String name, String database,
                         int threadCount, int queueCapacity, Clock clock) {
        this.dataSource = dataSource;
        this.ownedPool = ownedPool;
        this.database = database;
        this.queueCapacity = queueCapacity;
        this.link = new LinkMonitor(name, database, clock);
        this.threads = new ThreadPoolExecutor(threadCount, threadCount, 0, TimeUnit.MILLISECONDS,
                new ArrayBlockingQueue<>(queueCapacity), daemonThreads("cless-" + name.replace(' ', '-')));
    }

    /** An executor on a pool of {@code threadCount} connections to {@code endpoint}, which it closes with itself. */
    public static JdbcExecutor open(PostgresEndpoint endpoint, String name, int threadCount, int queueCapacity,
                                    Clock clock) {
        HikariDataSource pool = endpoint.newPool(name, threadCount);
        return new JdbcExecutor(pool, pool, name, endpoint.redactedUrl(), threadCount, queueCapacity, clock);
    }

    /** Whether this executor's last calls reached the database. */
    public DatabaseLink link() {
        return link.current();
    }

    /**
     * Runs {@code work} in auto-commit mode. The future fails with {@link StoreUnavailableException} when the
     * database is not reached, with {@link cloud.cless.core.store.StoreException} for any other SQL error, and
     * with whatever {@code work} threw otherwise.
     *
     * @param what the call, for messages ("report replica r1")
     */
    public <T> CompletableFuture<T> call(String what, SqlWork<T> work) {
        return submit(what, work, false);
    }

    /** Runs {@code work} in one transaction: committed when it returns, rolled back when it throws. */
    public <T> CompletableFuture<T> transaction(String what, SqlWork<T> work) {
        return submit(what, work, true);
    }

    private <T> CompletableFuture<T> submit(String what, SqlWork<T> work, boolean transactional) {
        CompletableFuture<T> result = new CompletableFuture<>();
        try {
            threads.execute(() -> run(what, work, transactional, result));
        } catch (RejectedExecutionException e) {
            result.completeExceptionally(new StoreUnavailableException("cannot " + what + ": "
                    + (threads.isShutdown() ? "the database executor is closed"
                    : queueCapacity + " calls to " + database + " are already waiting"), e));
        }
        return result;
    }

    private <T> void run(String what, SqlWork<T> work, boolean transactional, CompletableFuture<T> result) {
        if (result.isDone()) {
            return; // cancelled while queued
        }
        try (Connection connection = dataSource.getConnection()) {
            T value = transactional ? inTransaction(connection, work) : work.run(connection);
            link.reached();
            result.complete(value);
        } catch (SQLException e) {
            link.failed(e);
            result.completeExceptionally(DatabaseFailures.translate(what + " (" + database + ")", e));
        } catch (RuntimeException | Error e) {
            result.completeExceptionally(e);
        }
    }

    private static <T> T inTransaction(Connection connection, SqlWork<T> work) throws SQLException {
        connection.setAutoCommit(false);
        T value;
        try {
            value = work.run(connection);
            connection.commit();
        } catch (SQLException | RuntimeException e) {
            try {
                connection.rollback();
            } catch (SQLException rollback) {
                e.addSuppressed(rollback);
            }
            throw e;
        }
        connection.setAutoCommit(true);
        return value;
    }

    /** Refuses new calls, lets queued and running ones finish for a few seconds, then closes an owned pool. */
    @Override
    public void close() {
        threads.shutdown();
        try {
            if (!threads.awaitTermination(CLOSE_WAIT_SECONDS, TimeUnit.SECONDS)) {
                threads.shutdownNow();
            }
        } catch (InterruptedException e) {
            threads.shutdownNow();
            Thread.currentThread().interrupt();
        }
        if (ownedPool != null) {
            try {
                ownedPool.close();
            } catch (Exception e) {
                throw new IllegalStateException("cannot close the connection pool of " + database, e);
            }
        }
    }

    static ThreadFactory daemonThreads(String prefix) {
        AtomicInteger count = new AtomicInteger();
        return runnable -> {
            Thread thread = new Thread(runnable, prefix + "-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }
}
