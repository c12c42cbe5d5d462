package cloud.cless.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import cloud.cless.core.DataDirectory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AdminTokenTest {
    @TempDir
    Path dir;

    @Test
    void explicitTokenWinsAndNothingIsWritten() {
        AdminToken token = AdminToken.resolve("s3cret", new DataDirectory(dir));
        assertThat(token.matches("s3cret")).isTrue();
        assertThat(token.matches("s3cret2")).isFalse();
        assertThat(token.matches("")).isFalse();
        assertThat(token.matches(null)).isFalse();
        assertThat(dir.resolve("admin.token")).doesNotExist();
    }

    @Test
    void generatesAnOwnerOnlyTokenOnceAndReadsItBack() throws Exception {
        DataDirectory data = new DataDirectory(dir);
        AdminToken first = AdminToken.resolve(null, data);
        Path file = dir.resolve("admin.token");
        String stored = Files.readString(file, StandardCharsets.US_ASCII).strip();
        assertThat(stored).matches("[0-9a-f]{64}");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        assertThat(first.matches(stored)).isTrue();
        assertThat(AdminToken.resolve("  ", data).matches(stored)).isTrue();
    }

    @Test
    void neverPrintsItself() {
        assertThat(AdminToken.of("s3cret").toString()).doesNotContain("s3cret");
    }

    @Test
    void rejectsAnEmptyToken() {
        assertThatThrownBy(() -> AdminToken.of(" ")).isInstanceOf(IllegalArgumentException.class);
    }
}
