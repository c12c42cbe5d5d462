package cloud.cless.proxy;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.channel.epoll.Epoll;
import io.netty.channel.uring.IoUring;
import java.util.Optional;

/** Picks a transport for a per-transport test; one this machine lacks must be refused with a clear error instead. */
final class AvailableTransports {
    private AvailableTransports() {
    }

    /** The transport for {@code mode}, or empty (after checking that selecting it fails) when it is not available. */
    static Optional<Transport> select(IoMode mode) {
        boolean available = switch (mode) {
            case EPOLL -> Epoll.isAvailable();
            case IO_URING -> IoUring.isAvailable();
            default -> true;
        };
        if (!available) {
            assertThatThrownBy(() -> Transport.select(mode)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("is not available");
            return Optional.empty();
        }
        return Optional.of(Transport.select(mode));
    }
}
