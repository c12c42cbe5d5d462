package cloud.cless.proxy;

import java.util.Locale;

/** Which I/O transport the event loops use ({@code --io}). */
public enum IoMode {
    /** io_uring when available (the fastest here, see bench/compare.sh), else epoll, else NIO. */
    AUTO,
    EPOLL,
    IO_URING,
    NIO;

    /** Parses {@code auto}, {@code epoll}, {@code io_uring} (or {@code io-uring}, {@code iouring}), {@code nio}. */
    public static IoMode parse(String text) {
        String normal = text.trim().toUpperCase(Locale.ROOT).replace('-', '_');
        if (normal.equals("IOURING")) {
            return IO_URING;
        }
        try {
            return valueOf(normal);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown I/O mode '" + text + "' (expected auto, epoll, io_uring or nio)");
        }
    }
}
