package cloud.cless.core.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Pattern;
import org.postgresql.Driver;

/**
 * The shared PostgreSQL store of {@code --store postgres}: its {@code --store-url} (a JDBC URL), the password, and
 * the connections cless makes to it, pooled for queries and dedicated for what needs a session of its own (LISTEN,
 * advisory locks), all with {@link PostgresTimeouts}.
 *
 * <p>The password comes from the URL's {@code password} parameter, else from {@value #PASSWORD_ENV} (better: it is
 * not seen in the process list). Sessions are named {@code cless <purpose> <replica>} in
 * {@code pg_stat_activity}. Every session needs a direct connection or a session-mode pooler: LISTEN and advisory
 * locks do not survive a transaction-mode pooler. PostgreSQL 12 or later (for {@code tcp_user_timeout}).
 */
public final class PostgresEndpoint {
    public static final String PASSWORD_ENV = "CLESS_STORE_PASSWORD";
    /** PostgreSQL keeps 63 bytes of an application name. */
    private static final int APPLICATION_NAME_MAX = 63;
    private static final Pattern PASSWORD_PARAMETER = Pattern.compile("(?i)([?&]password=)[^&]*");
    private static final Duration VALIDATION_TIMEOUT = Duration.ofSeconds(1);
    // Hikari's minimum: an idle pooled connection is tested this often, so a dead one is replaced before use.
    private static final Duration POOL_KEEPALIVE = Duration.ofSeconds(30);

    private final String url;
    private final String redactedUrl;
    private final String replicaId;
    private final PostgresTimeouts timeouts;
    private final Properties properties;
    private final Driver driver = new Driver();

    private PostgresEndpoint(String url, String password, String replicaId, PostgresTimeouts timeouts) {
        Properties parsed = url == null ? null : Driver.parseURL(url, null);
        if (parsed == null) {
            throw new IllegalArgumentException("--store-url must be a PostgreSQL JDBC URL such as"
                    + " jdbc:postgresql://db.example:5432/cless?user=cless, not " + redact(String.valueOf(url)));
        }
        this.url = url;
        this.redactedUrl = redact(url);
        this.replicaId = replicaId;
        this.timeouts = timeouts;
        this.properties = new Properties();
        if (parsed.getProperty("password") == null && password != null && !password.isEmpty()) {
            properties.setProperty("password", password);
        }
        properties.setProperty("connectTimeout", seconds(timeouts.connect()));
        properties.setProperty("loginTimeout", seconds(timeouts.connect()));
        properties.setProperty("socketTimeout", seconds(timeouts.network()));
        properties.setProperty("cancelSignalTimeout", seconds(timeouts.connect()));
        properties.setProperty("tcpKeepAlive", "true");
        // Ours first: settings the operator put in the URL's options come later and win.
        String ours = "-c statement_timeout=" + timeouts.statement().toMillis()
                + " -c idle_in_transaction_session_timeout=" + timeouts.network().toMillis()
                + " -c tcp_keepalives_idle=" + seconds(timeouts.keepalive())
                + " -c tcp_keepalives_interval=2 -c tcp_keepalives_count=2"
                // Keepalives only probe an idle connection; this bounds one with unacknowledged data too.
                + " -c tcp_user_timeout=" + timeouts.keepalive().plusSeconds(4).toMillis();
        String theirs = parsed.getProperty("options");
        properties.setProperty("options", theirs == null || theirs.isBlank() ? ours : ours + " " + theirs);
    }

    /**
     * The endpoint of {@code --store-url}, the password from the URL or from {@code env}'s
     * {@value #PASSWORD_ENV}. {@link IllegalArgumentException} saying what is wrong when the URL is not a
     * PostgreSQL JDBC URL.
     */
    public static PostgresEndpoint fromStoreUrl(String url, Map<String, String> env, String replicaId) {
        return new PostgresEndpoint(url, env.get(PASSWORD_ENV), replicaId, PostgresTimeouts.DEFAULTS);
    }

    /** An endpoint with an explicit password (null: the URL's, or none) and timeouts. */
    public static PostgresEndpoint of(String url, String password, String replicaId, PostgresTimeouts timeouts) {
        return new PostgresEndpoint(url, password, replicaId, timeouts);
    }

    /** The URL with its password parameter masked, for messages and logs. */
    public String redactedUrl() {
        return redactedUrl;
    }

    public String replicaId() {
        return replicaId;
    }

    public PostgresTimeouts timeouts() {
        return timeouts;
    }

    /** The application name of this replica's sessions for {@code purpose}: {@code cless <purpose> <replica>}. */
    public String applicationName(String purpose) {
        String name = "cless " + purpose + " " + replicaId;
        return name.length() <= APPLICATION_NAME_MAX ? name : name.substring(0, APPLICATION_NAME_MAX);
    }

    /**
     * A new connection outside any pool, for a session that must stay the same (LISTEN, an advisory lock); the
     * caller closes it. Fails within the connect timeout when the database cannot be reached.
     */
    public Connection openDedicated(String purpose) throws SQLException {
        Properties session = sessionProperties(purpose);
        Connection connection = driver.connect(url, session);
        if (connection == null) {
            throw new SQLException("the PostgreSQL driver does not accept " + redactedUrl, "08001");
        }
        return connection;
    }

    /**
     * A bounded pool of {@code size} connections for queries: a caller waits at most the pool-wait timeout for a
     * connection (then {@link java.sql.SQLTransientConnectionException}), connections are validated within 1 s
     * and tested every 30 s while idle. Opening the pool does not need the database to be up.
     */
    public HikariDataSource newPool(String purpose, int size) {
        if (size < 1) {
            throw new IllegalArgumentException("a pool needs at least one connection, not " + size);
        }
        HikariConfig config = new HikariConfig();
        config.setPoolName("cless-" + purpose.replace(' ', '-'));
        config.setDriverClassName(Driver.class.getName());
        config.setJdbcUrl(url);
        config.setDataSourceProperties(sessionProperties(purpose));
        config.setMaximumPoolSize(size);
        config.setMinimumIdle(size);
        config.setConnectionTimeout(timeouts.poolWait().toMillis());
        config.setValidationTimeout(Math.min(VALIDATION_TIMEOUT.toMillis(), timeouts.poolWait().toMillis() / 2));
        config.setKeepaliveTime(POOL_KEEPALIVE.toMillis());
        // Start without the database: the first call fails within poolWait instead of cless failing to start,
        // and the pool fills itself once the database is back.
        config.setInitializationFailTimeout(-1);
        return new HikariDataSource(config);
    }

    @Override
    public String toString() {
        return redactedUrl;
    }

    private Properties sessionProperties(String purpose) {
        Properties session = new Properties();
        session.putAll(properties);
        session.setProperty("ApplicationName", applicationName(purpose));
        return session;
    }

    private static String seconds(Duration duration) {
        return Long.toString(Math.max(1, (duration.toMillis() + 999) / 1000));
    }

    static String redact(String url) {
        return PASSWORD_PARAMETER.matcher(url).replaceAll("$1***");
    }
}
