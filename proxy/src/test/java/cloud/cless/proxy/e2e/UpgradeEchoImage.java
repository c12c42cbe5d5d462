package cloud.cless.proxy.e2e;

import cloud.cless.core.testing.TestImages;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * A WebSocket-style app for the tunnel tests: on port 8080 it reads one request head, answers {@code 101 Switching
 * Protocols}, then echoes every byte until the client ends its side ({@code nc -ll} running a busybox script).
 */
final class UpgradeEchoImage {
    static final String IMAGE = "cless-test/upgrade-echo";

    private static final String SCRIPT = """
            #!/bin/busybox sh
            # One request head, line by line up to the empty line; then 101 and an echo of every byte.
            cr=$(printf '\\r')
            while IFS= read -r line; do
              case "$line" in "$cr"|"") break ;; esac
            done
            printf 'HTTP/1.1 101 Switching Protocols\\r\\nUpgrade: echo\\r\\nConnection: Upgrade\\r\\n\\r\\n'
            exec /bin/busybox cat
            """;

    private static boolean built; // guarded by the class lock

    private UpgradeEchoImage() {
    }

    static synchronized void ensureBuilt() {
        if (built) {
            return;
        }
        TestImages.ensureBuilt(); // the engine runs, and busybox is there
        Path context;
        try {
            context = Files.createTempDirectory("cless-upgrade-echo-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try {
            Path busybox = context.resolve("busybox");
            Files.copy(Path.of("/bin/busybox"), busybox);
            Files.setPosixFilePermissions(busybox, PosixFilePermissions.fromString("rwxr-xr-x"));
            Path script = context.resolve("upgrade");
            Files.writeString(script, SCRIPT, StandardCharsets.US_ASCII);
            Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
            Files.writeString(context.resolve("Dockerfile"), """
                    FROM scratch
                    COPY busybox /bin/busybox
                    COPY upgrade /upgrade
                    EXPOSE 8080
                    ENTRYPOINT ["/bin/busybox", "nc", "-ll", "-p", "8080", "-e", "/bin/busybox", "sh", "/upgrade"]
                    """, StandardCharsets.US_ASCII);
            TestImages.buildImage(IMAGE + ":latest", context);
            built = true;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            try (var paths = Files.walk(context)) {
                paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException e) {
                // a leftover temp directory is harmless
            }
        }
    }
}
