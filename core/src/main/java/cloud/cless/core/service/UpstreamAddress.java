package cloud.cless.core.service;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.regex.Pattern;

/**
 * The fixed address of an upstream service, parsed from {@code host:port} where host is an IPv4 literal,
 * a bracketed IPv6 literal or {@code localhost}. Parsing never resolves names.
 *
 * @param host     the host without brackets ({@code 127.0.0.1}, {@code ::1}, {@code localhost})
 * @param port     1-65535
 * @param loopback true when the address can only reach this machine
 */
public record UpstreamAddress(String host, int port, boolean loopback) {

    private static final String EXPECTED =
            "must be host:port with an IPv4 address, an [IPv6] address or localhost, and a port 1-65535";
    private static final Pattern IPV4 = Pattern.compile(
            "(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(?:\\.(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)){3}");
    private static final Pattern IPV6_CHARS = Pattern.compile("[0-9A-Fa-f:.]+");
    private static final Pattern PORT = Pattern.compile("[0-9]{1,5}");

    /** Parses {@code value}; {@link IllegalArgumentException} with a message saying what is expected. */
    public static UpstreamAddress parse(String value) {
        int colon = value.lastIndexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException(EXPECTED);
        }
        String hostPart = value.substring(0, colon);
        int port = parsePort(value.substring(colon + 1));
        if (hostPart.equalsIgnoreCase("localhost")) {
            return new UpstreamAddress("localhost", port, true);
        }
        if (IPV4.matcher(hostPart).matches()) {
            return literal(hostPart, port);
        }
        if (hostPart.length() > 2 && hostPart.startsWith("[") && hostPart.endsWith("]")) {
            String v6 = hostPart.substring(1, hostPart.length() - 1);
            // Only hex digits, colons and dots: no zone ids, and InetAddress parses it as a literal (no lookup).
            if (v6.indexOf(':') >= 0 && IPV6_CHARS.matcher(v6).matches()) {
                return literal(v6, port);
            }
        }
        throw new IllegalArgumentException(EXPECTED);
    }

    /** The address to connect to; {@code localhost} is resolved here (by the resolver, not DNS). */
    public InetSocketAddress toSocketAddress() {
        return new InetSocketAddress(host, port);
    }

    @Override
    public String toString() {
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }

    private static UpstreamAddress literal(String host, int port) {
        InetAddress address;
        try {
            address = InetAddress.getByName(host.indexOf(':') >= 0 ? "[" + host + "]" : host);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(EXPECTED, e);
        }
        if (address.isAnyLocalAddress() || address.isMulticastAddress()) {
            throw new IllegalArgumentException("must name one host, not a wildcard or multicast address");
        }
        return new UpstreamAddress(host, port, address.isLoopbackAddress());
    }

    private static int parsePort(String text) {
        if (!PORT.matcher(text).matches()) {
            throw new IllegalArgumentException(EXPECTED);
        }
        int port = Integer.parseInt(text);
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port must be between 1 and 65535");
        }
        return port;
    }
}
