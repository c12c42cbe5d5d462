package cloud.cless.admin;

import cloud.cless.core.DataDirectory;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The bearer token that guards the admin API; compares presented tokens in constant time and never prints itself. */
public final class AdminToken {
    private static final Logger log = LoggerFactory.getLogger(AdminToken.class);
    static final String FILE_NAME = "admin.token";
    private static final int GENERATED_BYTES = 32;

    // Only a digest is kept: comparing digests takes the same time whatever the presented token's length.
    private final byte[] digest;

    private AdminToken(String value) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException("the admin token must not be empty");
        }
        this.digest = sha256(value.strip());
    }

    /** A token with the given value (surrounding white space ignored). */
    public static AdminToken of(String value) {
        return new AdminToken(value);
    }

    /**
     * The token given explicitly ({@code --admin-token} or {@code CLESS_ADMIN_TOKEN}, may be null or blank), else
     * the one stored in the data directory's {@code admin.token}, generated there (mode 0600) on first start.
     */
    public static AdminToken resolve(String explicit, DataDirectory dataDirectory) {
        if (explicit != null && !explicit.isBlank()) {
            log.info("Admin API token: the one given by --admin-token or CLESS_ADMIN_TOKEN");
            return new AdminToken(explicit);
        }
        String stored = dataDirectory.readOrCreateSecret(FILE_NAME, GENERATED_BYTES);
        log.info("Admin API token: stored in {}", dataDirectory.resolve(FILE_NAME));
        return new AdminToken(stored);
    }

    /** True when {@code presented} is this token. */
    public boolean matches(String presented) {
        return presented != null && MessageDigest.isEqual(digest, sha256(presented));
    }

    @Override
    public String toString() {
        return "AdminToken[****]";
    }

    private static byte[] sha256(String value) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
