package cloud.cless.core.instance;

import cloud.cless.core.port.HostPorts;
import cloud.cless.core.runtime.ManagedContainer;
import cloud.cless.core.service.RegisteredService;
import cloud.cless.core.service.Revision;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Squares what the engine lists with what cless tracks. The first listing adopts the containers left from an
 * earlier run, each only as an instance of the revision its label names, while that revision exists, serves (a
 * percent or a tag) and its pool has room (their ports marked used); it removes the rest: a container of a revision
 * that serves nothing is not kept as if it were current, and one without a revision label (made by a release of
 * cless before revisions) is removed, a cold start of the revision that serves taking its place, since nothing
 * says which version it runs. Every later
 * listing drops instances whose containers stopped unnoticed, and removes containers of this installation that
 * nobody tracks (a create that timed out and landed late, say) once two listings in a row have found them.
 */
final class Reconciler {
    private static final Logger log = LoggerFactory.getLogger(Reconciler.class);

    private final Pools pools;
    private final ServiceDirectory services;
    private final HostPorts ports;
    private final ColdStart coldStart;
    private final Spares spares;
    private final Retirement retirement;
    private final EffectRunner runner;
    /** Untracked containers seen in the last listing: removed if the next one has them too. */
    private Set<String> untracked = Set.of(); // only the watch's one check at a time touches it

    Reconciler(Pools pools, ServiceDirectory services, HostPorts ports, ColdStart coldStart, Spares spares,
               Retirement retirement, EffectRunner runner) {
        this.pools = pools;
        this.services = services;
        this.ports = ports;
        this.coldStart = coldStart;
        this.spares = spares;
        this.retirement = retirement;
        this.runner = runner;
    }

    /** The first listing: adopts what still serves, removes the rest; completes once adopted ones were probed. */
    CompletableFuture<Void> adoptOrRemove(List<ManagedContainer> found) {
        List<CompletableFuture<?>> work = new ArrayList<>();
        for (ManagedContainer container : found) {
            String unfit = unfitForAdoption(container, container.service() == null ? null
                    : services.service(container.service()));
            ServicePool pool = unfit == null ? pools.getOrCreate(container.service(), container.revision()) : null;
            Instance adopted = pool == null ? null : pool.adopt(container);
            if (adopted == null) {
                work.add(retirement.retire(new Retirement.Target("container left from an earlier run",
                        container.service(), container.name(), container.id(), -1, true), false,
                        unfit != null ? unfit : pool == null ? "revision " + container.revision() + " serves nothing"
                                : "more than max_instances of revision " + container.revision()));
            } else if (adopted.state == InstanceState.PAUSED) {
                ports.markUsed(adopted.hostPort);
                log.info("Adopted paused container {} ({}) of service {} (revision {}) on port {}", container.name(),
                        Instance.shortId(container.id()), container.service(), container.revision(),
                        adopted.hostPort);
            } else {
                ports.markUsed(adopted.hostPort);
                work.add(coldStart.adopt(pool, adopted, runner));
            }
        }
        return CompletableFuture.allOf(work.toArray(CompletableFuture[]::new));
    }

    /** A later listing, taken at {@code listedAtMillis}. */
    void reconcile(List<ManagedContainer> found, long listedAtMillis) {
        Set<String> up = found.stream().filter(c -> c.state().isUp()).map(ManagedContainer::id)
                .collect(Collectors.toSet());
        Set<String> listed = found.stream().map(ManagedContainer::id).collect(Collectors.toSet());
        for (ServicePool pool : pools.all()) {
            runner.decide(pool, fx -> {
                for (Instance gone : pool.dropVanished(up::contains, listedAtMillis, fx)) {
                    log.warn("Container {} of instance {} of service {} stopped running unnoticed; removing it",
                            Instance.shortId(gone.containerId), gone.id, gone.service);
                }
            });
        }
        spares.vanished(listed, listedAtMillis);
        Set<String> stillUntracked = new HashSet<>();
        for (ManagedContainer container : found) {
            if (tracked(container)) {
                continue;
            }
            if (untracked.contains(container.id())) {
                retirement.retire(new Retirement.Target("untracked container", container.service(),
                        container.name(), container.id(), -1, true), false, "no instance of cless runs in it");
            } else {
                stillUntracked.add(container.id());
            }
        }
        untracked = stillUntracked;
    }

    private boolean tracked(ManagedContainer container) {
        for (String id : new String[] {container.id(), container.instanceId(), container.name()}) {
            if (id != null && (pools.knows(id) || spares.knows(id) || retirement.knows(id))) {
                return true;
            }
        }
        return false;
    }

    /** Why {@code container} is not adopted into {@code service} as registered now; null when it may be. */
    private static String unfitForAdoption(ManagedContainer container, RegisteredService service) {
        if (service == null) {
            return "service '" + container.service() + "' is not registered";
        }
        if (!container.state().isUp()) {
            // Also a spare ("created") of an earlier run: a new one is made for the revisions that want one.
            return "container is " + container.state().name().toLowerCase(Locale.ROOT);
        }
        if (container.hostPort() <= 0 || container.instanceId() == null || container.instanceId().isBlank()) {
            return "labels incomplete";
        }
        String revision = container.revision();
        if (revision == null || revision.isBlank()) {
            return "it has no revision label (made by an earlier release of cless): which version it runs is unknown";
        }
        Optional<Revision> known = service.revision(revision);
        if (known.isEmpty()) {
            return "revision " + revision + " of service '" + service.name() + "' is not registered";
        }
        if (known.get().spec().isUpstream()) {
            return "revision " + revision + " is an upstream";
        }
        if (Serving.of(service, revision) == Serving.NONE) {
            return "revision " + revision + " has no traffic and no tag";
        }
        return null;
    }
}
