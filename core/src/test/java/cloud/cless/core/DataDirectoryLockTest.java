package cloud.cless.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataDirectoryLockTest {

    @TempDir
    Path root;

    @Test
    void aSecondLockInThisProcessIsRefusedNamingTheDirectoryAndThePid() {
        DataDirectory dir = new DataDirectory(root).create();
        try (DataDirectoryLock held = dir.lock()) {
            assertThatThrownBy(dir::lock).isInstanceOf(DataDirectoryInUseException.class)
                    .hasMessageContaining(dir.root().toString())
                    .hasMessageContaining("PID " + ProcessHandle.current().pid())
                    .hasMessageContaining("--data-dir");
        }
        try (DataDirectoryLock again = dir.lock()) {
            assertThat(again).as("given up on close, taken again").isNotNull();
        }
    }

    @Test
    void anotherProcessHoldingTheDirectoryIsNamedAndItsEndFreesTheDirectory() throws Exception {
        DataDirectory dir = new DataDirectory(root).create();
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process holder = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                DataDirectoryHolder.class.getName(), root.toString()).redirectErrorStream(true).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(holder.getInputStream(),
                    StandardCharsets.UTF_8));
            assertThat(out.readLine()).isEqualTo("locked");

            assertThatThrownBy(dir::lock).isInstanceOf(DataDirectoryInUseException.class)
                    .hasMessageContaining(dir.root().toString())
                    .hasMessageContaining("PID " + holder.pid());
        } finally {
            holder.destroyForcibly();
            assertThat(holder.waitFor(30, TimeUnit.SECONDS)).isTrue();
        }
        // Killed, not closed: the kernel dropped its lock; the file with its PID is left and harmless.
        assertThat(Files.readString(root.resolve(DataDirectoryLock.FILE)).strip())
                .isEqualTo(Long.toString(holder.pid()));
        try (DataDirectoryLock mine = dir.lock()) {
            assertThat(Files.readString(root.resolve(DataDirectoryLock.FILE)).strip())
                    .isEqualTo(Long.toString(ProcessHandle.current().pid()));
        }
    }
}
