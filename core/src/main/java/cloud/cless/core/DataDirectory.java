package cloud.cless.core;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Set;

/**
 * The directory where cless keeps its state: the SQLite store, the admin token, the installation id, and the lock
 * that keeps a second cless off it.
 */
public final class DataDirectory {
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");

    private final Path root;
    private final SecureRandom random = new SecureRandom();

    public DataDirectory(Path root) {
        this.root = root.toAbsolutePath().normalize();
    }

    public Path root() {
        return root;
    }

    public Path resolve(String name) {
        return root.resolve(name);
    }

    /** Creates the directory if it does not exist. */
    public DataDirectory create() {
        try {
            Files.createDirectories(root);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create data directory " + root, e);
        }
        return this;
    }

    /**
     * Takes this directory for this process until the returned lock is closed (or the process ends).
     *
     * @throws DataDirectoryInUseException when another cless holds it; its message names the directory and the PID
     */
    public DataDirectoryLock lock() {
        return DataDirectoryLock.take(root);
    }

    /** The id that tags this installation's containers; generated on first use. */
    public String installationId() {
        return readOrCreateSecret("installation.id", 8);
    }

    /**
     * Reads the one-line secret in {@code name}, or writes a new random one ({@code bytes} random bytes, hex) with
     * mode 0600 when the file does not exist yet.
     */
    public String readOrCreateSecret(String name, int bytes) {
        Path file = root.resolve(name);
        try {
            if (Files.exists(file)) {
                return read(file);
            }
            byte[] raw = new byte[bytes];
            random.nextBytes(raw);
            String value = HexFormat.of().formatHex(raw);
            Path tmp = Files.createTempFile(root, name, ".tmp",
                    PosixFilePermissions.asFileAttribute(OWNER_ONLY));
            Files.writeString(tmp, value + "\n", StandardCharsets.US_ASCII);
            try {
                // Atomic and exclusive: a concurrent first start keeps whichever file landed first.
                Files.createLink(file, tmp);
            } catch (FileAlreadyExistsException raced) {
                return read(file);
            } finally {
                Files.deleteIfExists(tmp);
            }
            return value;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read or create " + file, e);
        }
    }

    private static String read(Path file) throws IOException {
        String value = Files.readString(file, StandardCharsets.US_ASCII).strip();
        if (value.isEmpty()) {
            throw new IOException(file + " is empty");
        }
        return value;
    }
}
