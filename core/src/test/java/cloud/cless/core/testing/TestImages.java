package cloud.cless.core.testing;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.BuildImageResultCallback;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The images the tests run, built {@code FROM scratch} around the static {@code /bin/busybox} (no registry is
 * reachable), through docker-java's build API. {@link #ensureBuilt()} builds them once per JVM; Docker's build cache
 * makes the builds of later JVMs cheap.
 */
public final class TestImages {
    /**
     * busybox httpd on port 8080: {@code /} answers "hello from cless-test"; {@code /cgi-bin/env} prints the
     * environment as text/plain; {@code /cgi-bin/slow?N} sleeps N seconds, then answers "slept N";
     * {@code /cgi-bin/echo} answers the request body.
     */
    public static final String HELLO = "cless-test/hello:latest";
    /** The hello image, but httpd starts listening only 2 s after the container starts. */
    public static final String SLOW_START = "cless-test/slow-start:latest";
    /** A raw TCP echo server on port 8080 ({@code nc -ll -e cat}), for pass-through of non-HTTP bytes. */
    public static final String ECHO = "cless-test/echo:latest";
    /** The port every test image listens on. */
    public static final int PORT = 8080;
    /** What {@code GET /} of the hello and slow-start images answers (plus a newline). */
    public static final String HELLO_BODY = "hello from cless-test";

    private static final Path BUSYBOX = Path.of("/bin/busybox");
    private static final String HTTPD = "\"/bin/busybox\", \"httpd\", \"-f\", \"-p\", \"8080\", \"-h\", \"/www\"";

    /** The hello image's content is the repository's example app, so the walk-through and the tests agree. */
    private static final Path EXAMPLE = Path.of("examples", "hello", "www");

    // Once per JVM: the images do not change while tests run. Guarded by the class lock.
    private static boolean built;

    private TestImages() {
    }

    /** Ensures the engine runs and builds {@link #HELLO}, {@link #SLOW_START} and {@link #ECHO} (once per JVM). */
    public static synchronized void ensureBuilt() {
        if (built) {
            return;
        }
        DockerSupport.ensureEngine();
        build(HELLO, "ENTRYPOINT [" + HTTPD + "]", true);
        build(SLOW_START, "ENTRYPOINT [\"/bin/busybox\", \"sh\", \"-c\","
                + " \"/bin/busybox sleep 2; exec /bin/busybox httpd -f -p 8080 -h /www\"]", true);
        build(ECHO, "ENTRYPOINT [\"/bin/busybox\", \"nc\", \"-ll\", \"-p\", \"8080\", \"-e\", \"/bin/busybox\", \"cat\"]",
                false);
        built = true;
    }

    private static void build(String tag, String entrypoint, boolean withWww) {
        Path context = DockerSupport.createTempDirectory("cless-image-");
        try {
            StringBuilder dockerfile = new StringBuilder("FROM scratch\nCOPY busybox /bin/busybox\n");
            copyBusybox(context);
            if (withWww) {
                writeWww(context.resolve("www"));
                dockerfile.append("COPY www /www\n");
            }
            dockerfile.append("EXPOSE ").append(PORT).append('\n').append(entrypoint).append('\n');
            Files.writeString(context.resolve("Dockerfile"), dockerfile, StandardCharsets.UTF_8);
            buildImage(tag, context);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare the build context of " + tag + " in " + context, e);
        } finally {
            deleteRecursively(context);
        }
    }

    /** Builds the Dockerfile in {@code contextDir} as {@code tag} and returns the image id. */
    public static String buildImage(String tag, Path contextDir) {
        try (DockerClient client = DockerSupport.newClient()) {
            return client.buildImageCmd(contextDir.toFile())
                    .withTags(Set.of(tag))
                    .withPull(false)
                    .withRemove(true)
                    .exec(new BuildImageResultCallback())
                    .awaitImageId(2, TimeUnit.MINUTES);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (RuntimeException e) {
            throw new AssertionError("building test image " + tag + " from " + contextDir + " failed: " + e, e);
        }
    }

    private static void copyBusybox(Path context) throws IOException {
        if (!Files.isExecutable(BUSYBOX)) {
            throw new AssertionError(BUSYBOX + " is missing: the test images need the static busybox"
                    + " (apt-get install busybox-static, see DOCKER.md)");
        }
        Path target = context.resolve("busybox");
        Files.copy(BUSYBOX, target);
        Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    private static void writeWww(Path www) throws IOException {
        Path example = exampleWww();
        try (Stream<Path> files = Files.walk(example)) {
            for (Path source : (Iterable<Path>) files::iterator) {
                Path target = www.resolve(example.relativize(source).toString());
                if (Files.isDirectory(source)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(source, target);
                    Files.setPosixFilePermissions(target, PosixFilePermissions.fromString(
                            source.getParent().endsWith("cgi-bin") ? "rwxr-xr-x" : "rw-r--r--"));
                }
            }
        }
    }

    /** examples/hello/www of this checkout, found from the module directory the tests run in. */
    private static Path exampleWww() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isDirectory(dir.resolve(EXAMPLE))) {
                return dir.resolve(EXAMPLE);
            }
        }
        throw new IllegalStateException("examples/hello/www not found above " + Path.of("").toAbsolutePath());
    }

    private static void deleteRecursively(Path root) {
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException e) {
            // a leftover temp directory is harmless
        }
    }
}
