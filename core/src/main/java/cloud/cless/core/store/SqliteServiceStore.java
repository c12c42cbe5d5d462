package cloud.cless.core.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;

/** The default store ({@code --store sqlite}): one SQLite file in the data directory, in WAL mode. */
public final class SqliteServiceStore extends JdbcServiceStore {

    /** Opens (creating if needed) the database at {@code file} and brings its schema up to date. */
    public SqliteServiceStore(Path file) {
        this(file, new SqliteDialect());
    }

    private SqliteServiceStore(Path file, SqlDialect dialect) {
        super(ConnectionSource.single(open(file, dialect)), dialect, file.toString());
    }

    private static Connection open(Path file, SqlDialect dialect) {
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
        } catch (IOException e) {
            throw new StoreException("cannot create the directory of service store " + file + ": " + e, e);
        }
        Connection opened = null;
        try {
            opened = DriverManager.getConnection("jdbc:sqlite:" + file.toAbsolutePath());
            dialect.configure(opened);
            SchemaMigrator.migrate(opened, dialect, file.toString());
            return opened;
        } catch (SQLException | RuntimeException e) {
            closeQuietly(opened, e);
            if (e instanceof StoreException se) {
                throw se;
            }
            throw new StoreException("cannot open service store " + file + ": " + e.getMessage(), e);
        }
    }

    private static void closeQuietly(Connection connection, Exception failure) {
        if (connection != null) {
            try {
                connection.close();
            } catch (SQLException e) {
                failure.addSuppressed(e);
            }
        }
    }
}
