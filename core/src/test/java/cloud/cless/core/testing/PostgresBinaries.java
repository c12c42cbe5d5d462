package cloud.cless.core.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * PostgreSQL's server programs on this host ({@code initdb}, {@code pg_ctl}), run as the user they accept: as
 * root, the {@code postgres} system user (PostgreSQL refuses to run as root), on files given to it.
 */
final class PostgresBinaries {
    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(60);

    private final Path binDir;
    private final boolean asPostgresUser;

    private PostgresBinaries(Path binDir, boolean asPostgresUser) {
        this.binDir = binDir;
        this.asPostgresUser = asPostgresUser;
    }

    /**
     * The programs in {@code CLESS_TEST_PG_BIN}, else the newest {@code /usr/lib/postgresql/<major>/bin} (Debian
     * keeps them off PATH), else on PATH; {@link IllegalStateException} saying how to install them when none.
     */
    static PostgresBinaries find() {
        return new PostgresBinaries(findBinDir(), isRoot());
    }

    /** Runs {@code program} of the bin directory with {@code args}; throws with its output when it fails. */
    void run(String program, List<String> args) {
        List<String> command = new ArrayList<>();
        if (asPostgresUser) {
            command.addAll(List.of("runuser", "-u", "postgres", "--"));
        }
        command.add(binDir.resolve(program).toString());
        command.addAll(args);
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                // initdb and postgres refuse to start from a directory the postgres user cannot read.
                .directory(Path.of("/tmp").toFile());
        try {
            Process process = builder.start();
            byte[] output = process.getInputStream().readAllBytes();
            if (!process.waitFor(COMMAND_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException(String.join(" ", command) + " did not finish within "
                        + COMMAND_TIMEOUT.toSeconds() + " s");
            }
            if (process.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", command) + " exited with " + process.exitValue()
                        + ": " + new String(output, StandardCharsets.UTF_8).strip());
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + command.get(0) + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running " + String.join(" ", command), e);
        }
    }

    /** Makes {@code path} the postgres user's, when the programs run as that user. */
    void giveToServerUser(Path path) {
        if (!asPostgresUser) {
            return;
        }
        UserPrincipal postgres;
        try {
            postgres = path.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("postgres");
        } catch (IOException e) {
            throw new IllegalStateException("running as root, PostgreSQL needs the 'postgres' system user (made by"
                    + " Debian's postgresql package), which does not exist: " + e.getMessage(), e);
        }
        try {
            Files.setOwner(path, postgres);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Path findBinDir() {
        String configured = System.getenv("CLESS_TEST_PG_BIN");
        if (configured != null && !configured.isBlank()) {
            Path bin = Path.of(configured);
            if (!Files.isExecutable(bin.resolve("initdb"))) {
                throw new IllegalStateException("CLESS_TEST_PG_BIN=" + bin + " has no executable initdb");
            }
            return bin;
        }
        Path debian = Path.of("/usr/lib/postgresql");
        if (Files.isDirectory(debian)) {
            try (Stream<Path> majors = Files.list(debian)) {
                var newest = majors.filter(p -> Files.isExecutable(p.resolve("bin/initdb")))
                        .max(Comparator.comparingInt(PostgresBinaries::majorVersion));
                if (newest.isPresent()) {
                    return newest.get().resolve("bin");
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        for (String entry : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (!entry.isEmpty() && Files.isExecutable(Path.of(entry, "initdb"))) {
                return Path.of(entry);
            }
        }
        throw new IllegalStateException("PostgreSQL is not installed (no initdb under /usr/lib/postgresql/*/bin"
                + " nor on PATH): run scripts/prepare-host.sh as root, or apt-get install postgresql");
    }

    private static int majorVersion(Path versionDir) {
        try {
            return Integer.parseInt(versionDir.getFileName().toString());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static boolean isRoot() {
        try {
            return ((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid")) == 0;
        } catch (IOException | UnsupportedOperationException e) {
            return "root".equals(System.getProperty("user.name"));
        }
    }
}
