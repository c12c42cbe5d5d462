package cloud.cless.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.BindException;
import org.junit.jupiter.api.Test;

class ProxyBindExceptionTest {

    @Test
    void saysWhenThePortNeedsPrivileges() {
        // The JDK's and the native transports' wording; tests run as root, so the real case cannot be provoked.
        for (String text : new String[] {"Permission denied", "bind(..) failed with error(-13): Permission denied"}) {
            ProxyBindException e = new ProxyBindException("0.0.0.0:80", new BindException(text));
            assertThat(e).hasMessage("cannot bind 0.0.0.0:80: permission denied");
            assertThat(e.permissionDenied()).isTrue();
            assertThat(e.address()).isEqualTo("0.0.0.0:80");
        }
    }

    @Test
    void namesOtherCauses() {
        ProxyBindException e = new ProxyBindException("10.9.9.9:80", new BindException("Cannot assign requested address"));
        assertThat(e).hasMessage("cannot bind 10.9.9.9:80: no such local address");
        assertThat(e.permissionDenied()).isFalse();
    }
}
