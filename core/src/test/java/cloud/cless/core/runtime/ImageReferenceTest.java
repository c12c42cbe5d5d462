package cloud.cless.core.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ImageReferenceTest {

    @Test
    void splitsNameAndTag() {
        assertThat(ImageReference.parse("cless-test/hello:v2")).isEqualTo(new ImageReference("cless-test/hello", "v2"));
    }

    @Test
    void defaultsToLatest() {
        assertThat(ImageReference.parse("nginx")).isEqualTo(new ImageReference("nginx", "latest"));
    }

    @Test
    void aRegistryPortIsNotATag() {
        assertThat(ImageReference.parse("localhost:5000/app"))
                .isEqualTo(new ImageReference("localhost:5000/app", "latest"));
        assertThat(ImageReference.parse("localhost:5000/app:1.0"))
                .isEqualTo(new ImageReference("localhost:5000/app", "1.0"));
    }

    @Test
    void keepsADigest() {
        ImageReference reference = ImageReference.parse("app@sha256:abc");
        assertThat(reference).isEqualTo(new ImageReference("app", "sha256:abc"));
        assertThat(reference).hasToString("app@sha256:abc");
    }
}
