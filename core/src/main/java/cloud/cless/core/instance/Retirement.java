package cloud.cless.core.instance;

import cloud.cless.core.port.HostPorts;
import cloud.cless.core.runtime.ContainerRuntime;
import cloud.cless.core.runtime.EngineSurvey;
import cloud.cless.core.runtime.ManagedContainer;
import cloud.cless.core.runtime.RuntimeFailure;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes containers out of service for good: stops (when graceful) and removes them, and gives a container's host
 * port back only once its removal is confirmed. A removal that fails is kept: its port stays reserved, and every
 * later listing of the engine either shows the container gone (the port is free again) or triggers another try.
 */
final class Retirement {
    private static final Logger log = LoggerFactory.getLogger(Retirement.class);

    /**
     * A container to remove.
     *
     * @param what        what it was, for the log ("instance 1a2b3c4d", "spare container")
     * @param service     its service
     * @param name        its name, by which it is removed when its id never came back
     * @param containerId its id, or null when its create did not answer
     * @param hostPort    its host port, handed back once it is gone; -1 when cless holds none for it
     * @param mayExist    false when it surely never existed (no create was sent): nothing to remove
     */
    record Target(String what, String service, String name, String containerId, int hostPort, boolean mayExist) {
        String ref() {
            return containerId != null ? containerId : name;
        }
    }

    private final ContainerRuntime runtime;
    private final HostPorts ports;
    private final int stopGraceSeconds;
    private final Consumer<Throwable> engineFailed;
    /** Removals that failed, by container id or name; each one's port stays reserved. */
    private final Map<String, Target> unremoved = new ConcurrentHashMap<>();
    private final Set<String> retrying = ConcurrentHashMap.newKeySet();
    private final Set<CompletableFuture<Void>> inFlight = ConcurrentHashMap.newKeySet();
    private final Set<String> retiring = ConcurrentHashMap.newKeySet();

    /** @param engineFailed told when a removal found the engine unreachable */
    Retirement(ContainerRuntime runtime, HostPorts ports, int stopGraceSeconds, Consumer<Throwable> engineFailed) {
        this.runtime = runtime;
        this.ports = ports;
        this.stopGraceSeconds = stopGraceSeconds;
        this.engineFailed = engineFailed;
    }

    /** Retires {@code instance} once the engine calls of its start are over; only the first call does anything. */
    void retire(Instance instance, boolean graceful, String reason) {
        if (!instance.startRetiring()) {
            return;
        }
        String id = instance.id;
        retiring.add(id);
        track(instance.settled.thenCompose(v -> {
            String containerId = instance.containerId;
            if (containerId != null) {
                retiring.add(containerId);
            }
            return retire(new Target("instance " + instance.id, instance.service, instance.containerName(),
                    containerId, instance.hostPort, instance.createSent), graceful, reason)
                    .whenComplete((done, err) -> retiring.remove(containerId == null ? id : containerId));
        }).whenComplete((v, err) -> retiring.remove(id)));
    }

    /** Removes {@code target} (stopping it first when {@code graceful}); completes once that was tried. */
    CompletableFuture<Void> retire(Target target, boolean graceful, String reason) {
        if (target.containerId() == null && !target.mayExist()) {
            release(target);
            return CompletableFuture.completedFuture(null);
        }
        log.info("Removing {} of service {} (container {}): {}", target.what(), target.service(),
                Instance.shortId(target.ref()), reason);
        CompletableFuture<Void> stopped = graceful && target.containerId() != null
                ? runtime.stop(target.containerId(), stopGraceSeconds).exceptionally(e -> null)
                : CompletableFuture.completedFuture(null);
        return track(stopped.thenCompose(v -> runtime.remove(target.ref())).handle((v, err) -> {
            if (err == null) {
                release(target);
            } else {
                failed(target, Failures.unwrap(err));
            }
            return null;
        }));
    }

    /** A listing of the engine: removals that failed are settled when their container is gone, else tried again. */
    void surveyed(EngineSurvey survey) {
        Set<String> present = new HashSet<>();
        for (ManagedContainer container : survey.managed()) {
            present.add(container.id());
            present.add(container.name());
        }
        for (Map.Entry<String, Target> left : unremoved.entrySet()) {
            Target target = left.getValue();
            if (!present.contains(target.ref()) && !present.contains(target.name())) {
                if (unremoved.remove(left.getKey(), target)) {
                    log.info("Container {} of service {} is gone now", target.name(), target.service());
                    release(target);
                }
            } else {
                tryAgain(left.getKey(), target);
            }
        }
    }

    /** One more try for every removal that failed (on shutdown). */
    CompletableFuture<Void> retryUnremoved() {
        unremoved.forEach(this::tryAgain);
        return settled();
    }

    /** Whether {@code id} (an instance's, a container's id or name) is being retired or waits for removal. */
    boolean knows(String id) {
        if (retiring.contains(id) || unremoved.containsKey(id)) {
            return true;
        }
        return unremoved.values().stream().anyMatch(t -> id.equals(t.name()));
    }

    /** Containers whose removal failed and is retried. */
    int unremovedCount() {
        return unremoved.size();
    }

    /** Completes once every retirement begun so far was tried. */
    CompletableFuture<Void> settled() {
        return CompletableFuture.allOf(inFlight.toArray(CompletableFuture[]::new));
    }

    private void tryAgain(String ref, Target target) {
        if (!retrying.add(ref)) {
            return;
        }
        track(runtime.remove(ref).handle((v, err) -> {
            retrying.remove(ref);
            if (err == null && unremoved.remove(ref, target)) {
                log.info("Removed container {} of service {}, whose removal had failed", target.name(),
                        target.service());
                release(target);
            } else if (err != null) {
                log.debug("Container {} still cannot be removed: {}", target.name(), Failures.unwrap(err).getMessage());
            }
            return null;
        }));
    }

    private void failed(Target target, Throwable cause) {
        unremoved.put(target.ref(), target);
        log.warn("Could not remove container {} of service {}; trying again at the next listing of the engine{}: {}",
                target.name(), target.service(),
                target.hostPort() > 0 ? ", its port " + target.hostPort() + " stays reserved meanwhile" : "",
                cause.getMessage());
        if (RuntimeFailure.is(cause, RuntimeFailure.Kind.ENGINE_UNAVAILABLE)) {
            engineFailed.accept(cause);
        }
    }

    private void release(Target target) {
        if (target.hostPort() > 0) {
            ports.release(target.hostPort());
        }
    }

    private CompletableFuture<Void> track(CompletableFuture<Void> work) {
        inFlight.add(work);
        work.whenComplete((v, err) -> inFlight.remove(work));
        return work;
    }
}
