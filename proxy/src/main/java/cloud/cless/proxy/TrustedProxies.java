package cloud.cless.proxy;

import io.netty.util.NetUtil;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * The peers ({@code --trusted-proxies}) whose X-Forwarded-For chain cless extends instead of replacing, and whose
 * X-Forwarded-Proto and -Host it keeps: addresses and CIDR blocks, IPv4 or IPv6, literals only (no name lookup).
 */
public final class TrustedProxies {
    /** Trusts no peer: every incoming X-Forwarded-* field is replaced. */
    public static final TrustedProxies NONE = new TrustedProxies(List.of());

    private final List<Block> blocks;

    private TrustedProxies(List<Block> blocks) {
        this.blocks = blocks;
    }

    /**
     * Parses entries such as {@code 10.0.0.0/8}, {@code 127.0.0.1} or {@code ::1/128}.
     *
     * @throws IllegalArgumentException naming the entry that is not an address or block
     */
    public static TrustedProxies parse(List<String> entries) {
        List<Block> blocks = new ArrayList<>();
        for (String raw : entries) {
            String entry = raw.trim();
            if (entry.isEmpty()) {
                continue;
            }
            int slash = entry.indexOf('/');
            byte[] address = NetUtil.createByteArrayFromIpAddressString(slash < 0 ? entry : entry.substring(0, slash));
            if (address == null) {
                throw new IllegalArgumentException("'" + entry + "' is not an IP address or CIDR block");
            }
            int bits = address.length * 8;
            if (slash >= 0) {
                try {
                    bits = Integer.parseInt(entry.substring(slash + 1));
                } catch (NumberFormatException e) {
                    bits = -1;
                }
                if (bits < 0 || bits > address.length * 8) {
                    throw new IllegalArgumentException("'" + entry + "' has an invalid prefix length");
                }
            }
            blocks.add(new Block(address, bits));
        }
        return blocks.isEmpty() ? NONE : new TrustedProxies(List.copyOf(blocks));
    }

    public boolean isEmpty() {
        return blocks.isEmpty();
    }

    /** Whether {@code peer} is one of the trusted proxies. */
    public boolean contains(InetAddress peer) {
        if (peer == null || blocks.isEmpty()) {
            return false;
        }
        byte[] address = peer.getAddress();
        for (Block block : blocks) {
            if (block.contains(address)) {
                return true;
            }
        }
        return false;
    }

    private record Block(byte[] network, int bits) {
        boolean contains(byte[] address) {
            if (address.length != network.length) {
                return false;
            }
            int full = bits / 8;
            for (int i = 0; i < full; i++) {
                if (address[i] != network[i]) {
                    return false;
                }
            }
            int rest = bits % 8;
            if (rest == 0) {
                return true;
            }
            int mask = 0xff << (8 - rest) & 0xff;
            return (address[full] & mask) == (network[full] & mask);
        }
    }
}
