package cloud.cless.proxy;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Where other hosts reach this replica's proxy, as its report to the cluster says ({@code GET /cluster}): the
 * address it listens on, or, when it listens on every address ({@code --bind 0.0.0.0}, the default), this host's
 * first private IPv4 address (as Consul and Nomad advertise by default), else its first other non-loopback
 * address, else loopback (Docker's bridges left out). For people and tools; nothing in cless connects to it.
 */
final class ReplicaAddress {

    private ReplicaAddress() {
    }

    /** {@code host:port} ({@code [v6]:port}) of a proxy listening on {@code listening}. */
    static String advertised(InetSocketAddress listening) {
        InetAddress address = listening.getAddress();
        if (address == null || address.isAnyLocalAddress()) {
            address = hostAddress();
        }
        String host = address.getHostAddress();
        int zone = host.indexOf('%');
        if (zone >= 0) {
            host = host.substring(0, zone);
        }
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + listening.getPort();
    }

    /** Docker's own bridges and veths: their addresses are reached only from this host's containers. */
    private static boolean containerBridge(String name) {
        return name.startsWith("docker") || name.startsWith("br-") || name.startsWith("veth");
    }

    /** The first private IPv4 address of an interface that is up, else the first non-loopback one, else loopback. */
    static InetAddress hostAddress() {
        List<InetAddress> candidates = new ArrayList<>();
        try {
            for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                if (nic.isUp() && !nic.isLoopback() && !containerBridge(nic.getName())) {
                    for (InetAddress a : Collections.list(nic.getInetAddresses())) {
                        if (!a.isLoopbackAddress() && !a.isLinkLocalAddress() && !a.isAnyLocalAddress()) {
                            candidates.add(a);
                        }
                    }
                }
            }
        } catch (SocketException e) {
            return InetAddress.getLoopbackAddress();
        }
        return candidates.stream().filter(a -> a instanceof Inet4Address && a.isSiteLocalAddress()).findFirst()
                .or(() -> candidates.stream().filter(a -> a instanceof Inet4Address).findFirst())
                .or(() -> candidates.stream().findFirst())
                .orElse(InetAddress.getLoopbackAddress());
    }
}
