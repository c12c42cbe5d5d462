package cloud.cless.core.runtime;

import com.github.dockerjava.api.DockerClient;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** One pull of a missing image, bounded in time; every way it can fail ends as IMAGE_NOT_FOUND naming the image. */
final class ImagePull {
    private static final Logger log = LoggerFactory.getLogger(ImagePull.class);

    private final DockerClient client;
    private final ImageReference image;
    private final Duration timeout;
    private final DockerFailures failures;

    ImagePull(DockerClient client, ImageReference image, Duration timeout, DockerFailures failures) {
        this.client = client;
        this.image = image;
        this.timeout = timeout;
        this.failures = failures;
    }

    /** Pulls; blocks. {@code operation} is what needed the image, for an unreachable engine's message. */
    void run(String operation) {
        log.info("image {} is not present locally; pulling it", image);
        PullCallback pull = new PullCallback();
        try {
            client.pullImageCmd(image.repository()).withTag(image.tag()).exec(pull);
            if (!pull.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw notFound(image.toString(), "the pull did not finish within " + timeout.toSeconds() + " s",
                        null);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw notFound(image.toString(), "interrupted", e);
        } catch (RuntimeFailure e) {
            throw e;
        } catch (RuntimeException e) {
            throw failure(e, operation);
        } finally {
            try {
                pull.close();
            } catch (IOException e) {
                log.debug("closing the pull stream failed", e);
            }
        }
        if (pull.failure() != null) {
            throw failure(pull.failure(), operation);
        }
        if (pull.errorMessage() != null) {
            throw notFound(image.toString(), pull.errorMessage(), null);
        }
        log.info("pulled image {}", image);
    }

    private RuntimeFailure failure(Throwable failure, String operation) {
        if (failures.isUnreachable(failure)) {
            return failures.unreachable(failure, operation);
        }
        return notFound(image.toString(), DockerFailures.describe(failure), failure);
    }

    static RuntimeFailure notFound(String image, String reason, Throwable cause) {
        return new RuntimeFailure(RuntimeFailure.Kind.IMAGE_NOT_FOUND,
                "image '" + image + "' is not present locally and could not be pulled: " + reason, cause);
    }
}
