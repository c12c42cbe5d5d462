package cloud.cless.core.runtime;

import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.model.Event;
import java.io.Closeable;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows the engine's event stream for the containers of one installation, hands each die/oom/destroy to a
 * listener, and completes {@link #ended()} when the stream ends. Cancelling {@code ended()} closes the stream.
 * Unlike docker-java's own callbacks it does not log a failure: the watcher decides what an end means.
 */
final class EventsCallback implements ResultCallback<Event> {
    private static final Logger log = LoggerFactory.getLogger(EventsCallback.class);

    private final Consumer<ContainerEvent> listener;
    private final DockerFailures failures;
    private final CompletableFuture<Void> ended = new CompletableFuture<>();
    private volatile Closeable stream;

    EventsCallback(Consumer<ContainerEvent> listener, DockerFailures failures) {
        this.listener = listener;
        this.failures = failures;
        // Whoever completes or cancels it, the connection goes.
        ended.whenComplete((v, e) -> closeStream());
    }

    CompletableFuture<Void> ended() {
        return ended;
    }

    @Override
    public void onStart(Closeable stream) {
        this.stream = stream;
        if (ended.isDone()) {
            closeStream();
        }
    }

    @Override
    public void onNext(Event event) {
        ContainerEvent.Kind kind = ContainerEvent.Kind.ofAction(
                event.getAction() != null ? event.getAction() : event.getStatus());
        if (kind == null || event.getId() == null || ended.isDone()) {
            return;
        }
        Map<String, String> attributes = event.getActor() != null && event.getActor().getAttributes() != null
                ? event.getActor().getAttributes() : Map.of();
        try {
            listener.accept(new ContainerEvent(event.getId(), kind, attributes.get(ContainerLabels.SERVICE),
                    attributes.get(ContainerLabels.INSTANCE)));
        } catch (RuntimeException e) {
            log.warn("Handling {} of container {} failed", kind, event.getId(), e);
        }
    }

    @Override
    public void onError(Throwable throwable) {
        ended.completeExceptionally(failures.translate(throwable, "event stream"));
    }

    @Override
    public void onComplete() {
        ended.complete(null);
    }

    @Override
    public void close() {
        ended.complete(null);
    }

    private void closeStream() {
        Closeable current = stream;
        if (current != null) {
            try {
                current.close();
            } catch (IOException e) {
                log.debug("closing the event stream failed", e);
            }
        }
    }
}
