package cloud.cless.proxy;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The access log: one INFO line per request on the logger {@value #LOGGER}, written when the request ends. Turn it
 * off by setting that logger's level to OFF (or WARN); then nothing is formatted.
 */
final class AccessLog {
    /** The logger of the access log. */
    static final String LOGGER = "cloud.cless.access";
    private static final Logger access = LoggerFactory.getLogger(LOGGER);

    private AccessLog() {
    }

    static boolean enabled() {
        return access.isInfoEnabled();
    }

    static void write(SocketAddress client, RequestRecord r, long now) {
        if (!access.isInfoEnabled()) {
            return;
        }
        long upstream = r.upstreamMillis(now);
        access.info("client={} host={} service={} revision={} instance={} method={} path={} status={} in={} out={}"
                        + " ms={} upstream_ms={} cold={} outcome={}",
                client(client), dash(r.host), dash(r.service), dash(r.revision), dash(r.instance), dash(r.method),
                dash(r.path), r.status == 0 ? "-" : Integer.toString(r.status), r.in, r.out,
                TimeUnit.NANOSECONDS.toMillis(r.elapsedNanos(now)), upstream < 0 ? "-" : Long.toString(upstream),
                r.cold ? 1 : 0, r.outcome == null ? RequestRecord.OK : r.outcome);
    }

    /** {@code 127.0.0.1:54321}, without the slash of {@link InetSocketAddress#toString()}. */
    static String client(SocketAddress address) {
        if (address instanceof InetSocketAddress inet && inet.getAddress() != null) {
            return inet.getAddress().getHostAddress() + ":" + inet.getPort();
        }
        return address == null ? "-" : address.toString();
    }

    private static String dash(String value) {
        return value == null ? "-" : value;
    }
}
