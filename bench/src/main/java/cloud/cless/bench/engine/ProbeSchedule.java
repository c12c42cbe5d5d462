package cloud.cless.bench.engine;

import java.io.File;
import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;

/**
 * The retry intervals of cless's readiness probe (first retry after {@code firstRetryMillis}, doubling up to
 * {@code maxRetryMillis}), read from the probe class itself so that a poll measured beside cless waits exactly as
 * long between attempts as cless does.
 */
record ProbeSchedule(long firstRetryMillis, long maxRetryMillis, String source) {
    static final String PROBE_CLASS = "ReadinessProbe";
    static final String FIRST_RETRY = "FIRST_RETRY_MILLIS";
    static final String MAX_RETRY = "MAX_RETRY_MILLIS";

    ProbeSchedule {
        if (firstRetryMillis < 0 || maxRetryMillis < firstRetryMillis) {
            throw new IllegalArgumentException("retry intervals must satisfy 0 <= first <= max: first "
                    + firstRetryMillis + " ms, max " + maxRetryMillis + " ms");
        }
    }

    /** The delay after {@code delayMillis}, as the probe computes it: doubled, at most {@code maxRetryMillis}. */
    long next(long delayMillis) {
        return Math.min(delayMillis * 2, maxRetryMillis);
    }

    /**
     * Reads the two constants from core's {@code ReadinessProbe}, found by its simple name anywhere under
     * {@code cloud/cless/core/} on the class path, so that moving the class between packages does not break the
     * benchmark; a probe without those constants is an error that says where to look.
     */
    static ProbeSchedule ofReadinessProbe() {
        List<String> candidates = probeClassNames();
        if (candidates.size() != 1) {
            throw new IllegalStateException("expected one cloud.cless.core..." + PROBE_CLASS
                    + " on the class path, found " + (candidates.isEmpty() ? "none" : candidates)
                    + "; pass --first-retry-ms and --max-retry-ms");
        }
        String name = candidates.get(0);
        try {
            Class<?> probe = Class.forName(name, false, ProbeSchedule.class.getClassLoader());
            return new ProbeSchedule(constant(probe, FIRST_RETRY), constant(probe, MAX_RETRY), name);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot read the retry intervals of " + name + " (" + e
                    + "); pass --first-retry-ms and --max-retry-ms", e);
        }
    }

    private static long constant(Class<?> probe, String name) throws ReflectiveOperationException {
        Field field = probe.getDeclaredField(name);
        if (!Modifier.isStatic(field.getModifiers()) || field.getType() != long.class) {
            throw new NoSuchFieldException(probe.getName() + "." + name + " is not a static long");
        }
        field.setAccessible(true);
        return field.getLong(null);
    }

    /** Names of every {@code ReadinessProbe} class under {@code cloud/cless/core/} in the class path. */
    private static List<String> probeClassNames() {
        String suffix = "/" + PROBE_CLASS + ".class";
        List<String> paths = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path", "").split(File.pathSeparator)) {
            Path location = Path.of(entry.isEmpty() ? "." : entry);
            try {
                if (Files.isDirectory(location)) {
                    Path core = location.resolve("cloud/cless/core");
                    if (Files.isDirectory(core)) {
                        try (Stream<Path> files = Files.walk(core)) {
                            files.map(f -> location.relativize(f).toString().replace(File.separatorChar, '/'))
                                    .filter(n -> n.endsWith(suffix)).forEach(paths::add);
                        }
                    }
                } else if (Files.isRegularFile(location)) {
                    try (JarFile jar = new JarFile(location.toFile())) {
                        jar.stream().map(JarEntry::getName)
                                .filter(n -> n.startsWith("cloud/cless/core/") && n.endsWith(suffix))
                                .forEach(paths::add);
                    }
                }
            } catch (IOException e) {
                throw new IllegalStateException("cannot list " + location + ": " + e, e);
            }
        }
        return paths.stream().distinct()
                .map(p -> p.substring(0, p.length() - ".class".length()).replace('/', '.')).toList();
    }
}
