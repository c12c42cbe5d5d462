package cloud.cless.core.cluster;

import java.util.Optional;
import java.util.regex.Pattern;

/**
 * One change announced on the change feed: which thing changed, by id only (a listener reads its current state
 * from the store), and the change's number in the database's {@code change_seq}, which only grows.
 *
 * @param subject the kind of thing, e.g. {@link #SERVICE} (its definition, revisions or traffic)
 * @param id e.g. the service name
 */
public record Change(String subject, String id, long sequence) {
    /** A service changed: its definition, a revision or its traffic; the id is the service name. */
    public static final String SERVICE = "service";

    private static final Pattern SUBJECT = Pattern.compile("[a-z][a-z_]{0,31}");
    // NOTIFY payloads are limited to 8000 bytes; ids are names.
    private static final int MAX_ID_LENGTH = 1000;

    public Change {
        if (!SUBJECT.matcher(subject).matches()) {
            throw new IllegalArgumentException("a change subject is a lower-case word, not '" + subject + "'");
        }
        if (id.isEmpty() || id.length() > MAX_ID_LENGTH) {
            throw new IllegalArgumentException("a change id has 1 to " + MAX_ID_LENGTH + " characters");
        }
    }

    /** The NOTIFY payload: {@code subject:sequence:id} (the id last, since it may hold any character). */
    String payload() {
        return subject + ":" + sequence + ":" + id;
    }

    /** The change a payload announces; empty when it is not one (e.g. from a newer cless with another format). */
    static Optional<Change> parse(String payload) {
        String[] parts = payload.split(":", 3);
        if (parts.length != 3) {
            return Optional.empty();
        }
        try {
            return Optional.of(new Change(parts[0], parts[2], Long.parseLong(parts[1])));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }
}
