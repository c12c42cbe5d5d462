package cloud.cless.core.instance;

import cloud.cless.core.metrics.ClessMetrics;
import cloud.cless.core.service.RegisteredService;
import cloud.cless.core.service.ResolvedService;
import cloud.cless.core.service.Revision;
import cloud.cless.core.service.ServiceDefinition;
import cloud.cless.core.upstream.UpstreamInstances;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a change to the registered services means for the pools of their revisions, in the order the registry
 * committed the changes. After each change every revision's pool is in step with the service: a revision with a
 * share of the traffic has its pool (its {@code min_instances} started, a spare made); one reached only through
 * a tag keeps its pool, if it has one, scaled to zero; one that serves nothing any more, or is deleted, has its
 * pool retired: its waiting requests are placed again by the traffic, its instances drain and go, their ports
 * back. Scaling fields change in place for every pool. Upstream revisions are resolved while they serve.
 */
final class ServiceChanges {
    private static final Logger log = LoggerFactory.getLogger(ServiceChanges.class);

    private final ServiceDirectory services;
    private final Pools pools;
    private final InstanceDriver driver;
    private final UpstreamInstances upstreams;
    private final EffectRunner runner;
    private final ClessMetrics metrics;
    private final Consumer<ServicePool> maintain;

    /** @param maintain scales a pool whose settings or role changed (min_instances may have grown) */
    ServiceChanges(ServiceDirectory services, Pools pools, InstanceDriver driver, UpstreamInstances upstreams,
                   EffectRunner runner, ClessMetrics metrics, Consumer<ServicePool> maintain) {
        this.services = services;
        this.pools = pools;
        this.driver = driver;
        this.upstreams = upstreams;
        this.runner = runner;
        this.metrics = metrics;
        this.maintain = maintain;
    }

    /** Scaling fields (or the host) changed, in place for every revision; a new revision, if any, is told next. */
    void updated(ServiceDefinition current) {
        RegisteredService service = services.service(current.name());
        if (service != null) {
            sync(service);
        }
    }

    void revisionCreated(RegisteredService service, Revision revision) {
        log.info("Service {}: revision {} created ({})", service.name(), revision.name(),
                revision.spec().isUpstream() ? "upstream " + revision.spec().upstream()
                        : "image " + revision.spec().imageReference());
    }

    void trafficChanged(RegisteredService current) {
        log.info("Service {}: traffic {}", current.name(), current.traffic());
        sync(current);
    }

    void revisionDeleted(RegisteredService service, Revision revision) {
        retire(revision.name(), "revision deleted");
        driver.withdrawn(revision.name(), "revision deleted");
        upstreams.removed(revision.name());
        metrics.revisionRemoved(revision.name());
    }

    /** The service and all of its revisions are gone: every pool of it retires. */
    void deleted(ServiceDefinition definition) {
        for (ServicePool pool : pools.activeOf(definition.name())) {
            retire(pool.key(), "service deleted");
        }
        driver.serviceDeleted(definition.name());
        upstreams.serviceRemoved(definition.name());
        metrics.serviceRemoved(definition.name());
    }

    /** Brings the pool of every revision of {@code current} in step with its traffic and scaling. */
    private void sync(RegisteredService current) {
        for (ServicePool pool : pools.activeOf(current.name())) {
            if (current.revision(pool.key()).isEmpty()) {
                retire(pool.key(), "revision deleted"); // deleted by this change; told next
            }
        }
        for (Revision revision : current.revisions()) {
            Serving serving = Serving.of(current, revision.name());
            if (revision.spec().isUpstream()) {
                if (serving == Serving.NONE) {
                    upstreams.removed(revision.name());
                } else {
                    upstreams.defined(revision);
                }
                continue;
            }
            ServicePool pool = serving == Serving.TRAFFIC ? pools.getOrCreate(current.name(), revision.name())
                    : pools.get(revision.name());
            if (pool != null && serving == Serving.NONE) {
                retire(revision.name(), "no traffic and no tag");
            } else if (pool != null) {
                ResolvedService spec = pools.resolve(current, revision);
                runner.decide(pool, fx -> pool.define(spec, serving, fx));
                driver.defined(pool);
                maintain.accept(pool);
            }
            if (serving != Serving.TRAFFIC) {
                // After the pool's role changed: a spare being made for it meanwhile is not kept.
                driver.withdrawn(revision.name(), serving == Serving.TAG ? "tag only" : "no traffic");
            }
        }
    }

    private void retire(String revision, String reason) {
        ServicePool pool = pools.retire(revision);
        if (pool != null) {
            log.info("Service {}: the instances of revision {} drain ({})", pool.service(), revision, reason);
            runner.decide(pool, fx -> pool.retire(reason, fx));
        }
    }
}
