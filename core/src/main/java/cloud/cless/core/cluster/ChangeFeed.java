package cloud.cless.core.cluster;

import cloud.cless.core.store.DatabaseFailures;
import cloud.cless.core.store.PostgresEndpoint;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells this replica of every change to the shared store, whoever made it: {@code LISTEN} on a connection of its
 * own to {@link ChangeNotices#CHANNEL}, each notification handed to the listeners in order, on the feed's thread.
 * After every (re)connect the listeners are told to {@link ChangeListener#reloadAll() reload everything}, since
 * notifications sent while the feed was away are lost. A lost connection is retried with {@link Backoff}, forever,
 * until {@link #close()}; a silent one is caught by a heartbeat query.
 */
public final class ChangeFeed implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ChangeFeed.class);
    private static final String PURPOSE = "change feed";
    private static final int POLL_MILLIS = 250;
    private static final long HEARTBEAT_NANOS = Duration.ofSeconds(2).toNanos();
    // A heartbeat that gets no answer within this ends the connection (a black-holed network, not a closed one).
    private static final int HEARTBEAT_TIMEOUT_MILLIS = 3_000;
    private static final Duration CLOSE_WAIT = Duration.ofSeconds(5);

    private final PostgresEndpoint endpoint;
    private final Backoff backoff;
    private final LinkMonitor link;
    private final List<ChangeListener> listeners = new CopyOnWriteArrayList<>();
    private final CountDownLatch closed = new CountDownLatch(1);
    private final Thread thread;
    private volatile boolean running;

    public ChangeFeed(PostgresEndpoint endpoint, Backoff backoff, Clock clock) {
        this.endpoint = endpoint;
        this.backoff = backoff;
        this.link = new LinkMonitor(PURPOSE, endpoint.redactedUrl(), clock);
        this.thread = new Thread(this::run, "cless-change-feed");
        thread.setDaemon(true);
    }

    /** Adds a listener; those added before {@link #start()} see the first reload. */
    public ChangeFeed subscribe(ChangeListener listener) {
        listeners.add(listener);
        return this;
    }

    /** Connects in the background and keeps connected until {@link #close()}. */
    public synchronized void start() {
        if (running || closed.getCount() == 0) {
            throw new IllegalStateException("the change feed is already started or closed");
        }
        running = true;
        thread.start();
    }

    /** Whether the feed is listening now; while it is not, changes made elsewhere are not seen. */
    public DatabaseLink link() {
        return link.current();
    }

    /** Stops listening and waits (briefly) for the feed's thread to end; no listener is called afterwards. */
    @Override
    public void close() {
        running = false;
        closed.countDown();
        if (thread.isAlive() && Thread.currentThread() != thread) {
            try {
                thread.join(CLOSE_WAIT.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void run() {
        int failures = 0;
        while (running) {
            try (Connection connection = endpoint.openDedicated(PURPOSE)) {
                listen(connection);
                link.reached();
                failures = 0;
                deliverReload();
                receive(connection);
            } catch (SQLException | RuntimeException e) {
                if (!running) {
                    break;
                }
                // Whatever went wrong, the feed is not listening: that is an outage for it.
                link.lost(DatabaseFailures.reason(e));
                failures++;
            }
            if (running) {
                await(backoff.delay(failures, ThreadLocalRandom.current()::nextDouble));
            }
        }
    }

    private static void listen(Connection connection) throws SQLException {
        connection.setNetworkTimeout(Runnable::run, HEARTBEAT_TIMEOUT_MILLIS);
        try (Statement statement = connection.createStatement()) {
            // LISTEN takes an identifier, not a parameter; the channel is our own constant.
            statement.execute("LISTEN " + ChangeNotices.CHANNEL);
        }
    }

    private void receive(Connection connection) throws SQLException {
        PGConnection pg = connection.unwrap(PGConnection.class);
        long lastHeard = System.nanoTime();
        while (running) {
            PGNotification[] notifications = pg.getNotifications(POLL_MILLIS);
            if (notifications != null && notifications.length > 0) {
                lastHeard = System.nanoTime();
                for (PGNotification notification : notifications) {
                    deliver(notification);
                }
            } else if (System.nanoTime() - lastHeard > HEARTBEAT_NANOS) {
                try (Statement statement = connection.createStatement()) {
                    statement.execute("SELECT 1");
                }
                lastHeard = System.nanoTime();
            }
        }
    }

    private void deliver(PGNotification notification) {
        if (!ChangeNotices.CHANNEL.equals(notification.getName())) {
            return;
        }
        Optional<Change> change = Change.parse(notification.getParameter());
        if (change.isEmpty()) {
            // Perhaps a newer cless announcing something this one cannot read: reading everything is always right.
            log.warn("Change feed: notification '{}' is not a change this cless understands; reloading everything",
                    notification.getParameter());
            deliverReload();
            return;
        }
        for (ChangeListener listener : listeners) {
            if (!running) {
                return;
            }
            try {
                listener.changed(change.get());
            } catch (RuntimeException e) {
                log.warn("Change feed: listener {} failed on {}", listener, change.get(), e);
            }
        }
    }

    private void deliverReload() {
        for (ChangeListener listener : listeners) {
            if (!running) {
                return;
            }
            try {
                listener.reloadAll();
            } catch (RuntimeException e) {
                log.warn("Change feed: listener {} failed to reload", listener, e);
            }
        }
    }

    private void await(Duration delay) {
        try {
            closed.await(delay.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running = false;
        }
    }
}
