package cloud.cless.proxy.e2e;

import cloud.cless.core.testing.TestImages;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.Map;
import java.util.stream.Stream;

/** Builds a test image of this module from a Dockerfile and executable files beside it, in a throwaway context. */
final class LocalImage {
    private LocalImage() {
    }

    /**
     * Builds {@code tag}; {@code executables} maps names in the build context to their text; with {@code busybox}
     * the static busybox is in the context too. The engine runs and the hello image exists once this returns.
     */
    static void build(String tag, String dockerfile, Map<String, String> executables, boolean busybox) {
        TestImages.ensureBuilt(); // the engine runs, and busybox and the hello image are there
        Path context;
        try {
            context = Files.createTempDirectory("cless-local-image-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try {
            if (busybox) {
                executable(context.resolve("busybox"), Files.readAllBytes(Path.of("/bin/busybox")));
            }
            for (Map.Entry<String, String> file : executables.entrySet()) {
                executable(context.resolve(file.getKey()), file.getValue().getBytes(StandardCharsets.US_ASCII));
            }
            Files.writeString(context.resolve("Dockerfile"), dockerfile, StandardCharsets.US_ASCII);
            TestImages.buildImage(tag, context);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            try (Stream<Path> paths = Files.walk(context)) {
                paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException e) {
                // a leftover temp directory is harmless
            }
        }
    }

    private static void executable(Path path, byte[] content) throws IOException {
        Files.write(path, content);
        Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
}
