package cloud.cless.proxy;

import io.netty.channel.Channel;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/**
 * A client connection's peer as X-Forwarded-For names it (worked out once per connection), and whether it is one
 * of the trusted proxies.
 *
 * @param ascii   the address, as ASCII bytes
 * @param trusted whether the peer is in {@code --trusted-proxies}
 */
record ClientAddress(byte[] ascii, boolean trusted) {
    private static final ClientAddress UNKNOWN = new ClientAddress("unknown".getBytes(StandardCharsets.US_ASCII), false);

    static ClientAddress of(Channel channel, TrustedProxies trustedProxies) {
        if (channel.remoteAddress() instanceof InetSocketAddress inet && inet.getAddress() != null) {
            return new ClientAddress(inet.getAddress().getHostAddress().getBytes(StandardCharsets.US_ASCII),
                    trustedProxies.contains(inet.getAddress()));
        }
        return UNKNOWN;
    }
}
