package cloud.cless.core.port;

/**
 * An inclusive range of TCP ports from which host ports are handed out ({@code --port-range}).
 *
 * @param first the lowest port, 1-65535
 * @param last  the highest port, at least {@code first}
 */
public record PortRange(int first, int last) {

    public PortRange {
        if (first < 1 || first > 65535 || last < 1 || last > 65535) {
            throw new IllegalArgumentException(
                    "port range " + first + "-" + last + ": ports must be between 1 and 65535");
        }
        if (first > last) {
            throw new IllegalArgumentException(
                    "port range " + first + "-" + last + ": the first port must not be above the last");
        }
    }

    /** Parses {@code first-last}, e.g. {@code 20000-29999}; the message of a failure says what was expected. */
    public static PortRange parse(String text) {
        if (text == null) {
            throw new IllegalArgumentException("port range is missing: expected first-last, e.g. 20000-29999");
        }
        String trimmed = text.strip();
        int dash = trimmed.indexOf('-');
        if (dash <= 0 || dash == trimmed.length() - 1) {
            throw new IllegalArgumentException(
                    "port range '" + text + "' must be first-last, e.g. 20000-29999");
        }
        return new PortRange(port(text, trimmed.substring(0, dash)), port(text, trimmed.substring(dash + 1)));
    }

    /** How many ports the range holds. */
    public int size() {
        return last - first + 1;
    }

    public boolean contains(int port) {
        return port >= first && port <= last;
    }

    @Override
    public String toString() {
        return first + "-" + last;
    }

    private static int port(String text, String part) {
        String digits = part.strip();
        if (digits.isEmpty() || digits.length() > 5 || !digits.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new IllegalArgumentException("port range '" + text + "': '" + part
                    + "' is not a port number (expected first-last, e.g. 20000-29999)");
        }
        return Integer.parseInt(digits);
    }
}
