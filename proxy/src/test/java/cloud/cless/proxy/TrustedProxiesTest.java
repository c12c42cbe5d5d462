package cloud.cless.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

class TrustedProxiesTest {

    private static boolean trusts(TrustedProxies proxies, String address) throws Exception {
        return proxies.contains(InetAddress.getByName(address));
    }

    @Test
    void matchesAddressesAndBlocksOfEitherFamily() throws Exception {
        TrustedProxies proxies = TrustedProxies.parse(List.of("10.0.0.0/8", " 192.168.1.7 ", "172.16.0.0/12", "::1",
                "fd00::/8", ""));
        assertThat(trusts(proxies, "10.200.3.4")).isTrue();
        assertThat(trusts(proxies, "11.0.0.1")).isFalse();
        assertThat(trusts(proxies, "192.168.1.7")).isTrue();
        assertThat(trusts(proxies, "192.168.1.8")).isFalse();
        assertThat(trusts(proxies, "172.31.255.255")).isTrue();
        assertThat(trusts(proxies, "172.32.0.0")).isFalse();
        assertThat(trusts(proxies, "::1")).isTrue();
        assertThat(trusts(proxies, "fd12:3456::1")).isTrue();
        assertThat(trusts(proxies, "fe80::1")).isFalse();
        assertThat(TrustedProxies.NONE.contains(InetAddress.getByName("127.0.0.1"))).isFalse();
        assertThat(TrustedProxies.parse(List.of()).isEmpty()).isTrue();
    }

    @Test
    void refusesWhatIsNotAnAddressWithoutLookingItUp() {
        assertThatThrownBy(() -> TrustedProxies.parse(List.of("proxy.example"))).hasMessageContaining("proxy.example");
        assertThatThrownBy(() -> TrustedProxies.parse(List.of("10.0.0.0/33"))).hasMessageContaining("prefix length");
        assertThatThrownBy(() -> TrustedProxies.parse(List.of("10.0.0.0/x"))).hasMessageContaining("prefix length");
    }
}
