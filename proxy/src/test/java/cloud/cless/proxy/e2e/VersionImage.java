package cloud.cless.proxy.e2e;

import cloud.cless.core.testing.TestImages;
import java.util.Map;

/**
 * The hello image with one more endpoint for the revision tests: {@code /cgi-bin/version} answers {@code V=<$V>},
 * framed by {@code Content-Length}, so that a keep-alive client keeps its connection to cless across requests (the
 * other CGI answers end with the connection). Built {@code FROM} the local hello image: nothing is pulled.
 */
final class VersionImage {
    static final String IMAGE = "cless-test/hello-version";

    private static final String SCRIPT = """
            #!/bin/busybox sh
            # The revision's V, with its length: the response ends with its body, not with the connection.
            body="V=$V"
            printf 'Content-Type: text/plain\\r\\nContent-Length: %d\\r\\n\\r\\n%s' "${#body}" "$body"
            """;

    private static boolean built; // guarded by the class lock

    private VersionImage() {
    }

    static synchronized void ensureBuilt() {
        if (built) {
            return;
        }
        LocalImage.build(IMAGE + ":latest", "FROM " + TestImages.HELLO + "\nCOPY version /www/cgi-bin/version\n",
                Map.of("version", SCRIPT), false);
        built = true;
    }
}
