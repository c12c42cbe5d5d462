package cloud.cless.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

class ReplicaAddressTest {

    @Test
    void aProxyOnOneAddressIsReachedThere() {
        assertThat(ReplicaAddress.advertised(new InetSocketAddress("10.1.2.3", 80))).isEqualTo("10.1.2.3:80");
        assertThat(ReplicaAddress.advertised(new InetSocketAddress("::1", 8080))).isEqualTo("[0:0:0:0:0:0:0:1]:8080");
    }

    @Test
    void aProxyOnEveryAddressIsReachedAtAnAddressOfThisHostThatIsNotAWildcard() throws Exception {
        String advertised = ReplicaAddress.advertised(new InetSocketAddress("0.0.0.0", 80));

        assertThat(advertised).endsWith(":80").doesNotStartWith("0.0.0.0");
        InetAddress host = ReplicaAddress.hostAddress();
        assertThat(host.isAnyLocalAddress()).isFalse();
        assertThat(host.isLoopbackAddress() || java.net.NetworkInterface.getByInetAddress(host) != null)
                .as("an address of this host").isTrue();
    }
}
