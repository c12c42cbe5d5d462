package cloud.cless.core.cluster;

import java.time.Instant;
import java.util.HexFormat;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;

/**
 * Who a replica is in the cluster's reports.
 *
 * @param id unique among the replicas, at most 50 characters of {@code [A-Za-z0-9._-]} (it names the replica's
 *     database sessions, which keep 63 bytes)
 * @param name its host name, for people
 * @param address where it takes traffic ({@code host:port}), for people and {@code cless cluster}
 * @param startedAt when this process started
 */
public record ReplicaIdentity(String id, String name, String address, Instant startedAt) {
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,49}");
    private static final Pattern NOT_ID = Pattern.compile("[^A-Za-z0-9._-]");

    public ReplicaIdentity {
        if (!ID.matcher(id).matches()) {
            throw new IllegalArgumentException("a replica id has 1 to 50 characters of A-Z a-z 0-9 . _ -"
                    + " and starts with a letter or digit, not '" + id + "'");
        }
        if (name.isBlank() || address.isBlank()) {
            throw new IllegalArgumentException("a replica needs a name and an address");
        }
    }

    /** A new id for a replica on host {@code name}: the host name (shortened, cleaned) and a random suffix. */
    public static String newId(String name) {
        String host = NOT_ID.matcher(name.toLowerCase(Locale.ROOT)).replaceAll("-").replaceAll("^[-._]+", "");
        if (host.length() > 36) {
            host = host.substring(0, 36);
        }
        byte[] raw = new byte[4];
        ThreadLocalRandom.current().nextBytes(raw);
        String suffix = HexFormat.of().formatHex(raw);
        return host.isEmpty() ? suffix : host + "-" + suffix;
    }
}
