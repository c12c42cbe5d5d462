package cloud.cless.proxy.e2e;

import java.util.Map;

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
        LocalImage.build(IMAGE + ":latest", """
                FROM scratch
                COPY busybox /bin/busybox
                COPY upgrade /upgrade
                EXPOSE 8080
                ENTRYPOINT ["/bin/busybox", "nc", "-ll", "-p", "8080", "-e", "/bin/busybox", "sh", "/upgrade"]
                """, Map.of("upgrade", SCRIPT), true);
        built = true;
    }
}
