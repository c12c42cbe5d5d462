package cloud.cless.core.instance;

import cloud.cless.core.metrics.ClessMetrics;
import cloud.cless.core.service.ResolvedService;
import cloud.cless.core.service.ServiceDefinition;
import cloud.cless.core.upstream.UpstreamInstances;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a change to the registered services means for their instances, in the order the registry committed the
 * changes: a container service's pool takes the new definition (instances of another container drain) and its
 * spare is made anew; an upstream's address is resolved; a deleted service's instances drain and go.
 */
final class ServiceChanges {
    private static final Logger log = LoggerFactory.getLogger(ServiceChanges.class);

    private final ServiceDirectory services;
    private final Pools pools;
    private final Spares spares;
    private final UpstreamInstances upstreams;
    private final EffectRunner runner;
    private final ClessMetrics metrics;
    private final Consumer<ServicePool> maintain;

    /** @param maintain scales a pool whose definition changed (min_instances may have grown) */
    ServiceChanges(ServiceDirectory services, Pools pools, Spares spares, UpstreamInstances upstreams,
                   EffectRunner runner, ClessMetrics metrics, Consumer<ServicePool> maintain) {
        this.services = services;
        this.pools = pools;
        this.spares = spares;
        this.upstreams = upstreams;
        this.runner = runner;
        this.metrics = metrics;
        this.maintain = maintain;
    }

    void created(ServiceDefinition definition) {
        defined(definition);
    }

    void updated(ServiceDefinition previous, ServiceDefinition current) {
        if (previous.isUpstream() && !current.isUpstream()) {
            upstreams.removed(current.name());
        } else if (!previous.isUpstream() && current.isUpstream()) {
            containersGone(current.name());
        }
        defined(current);
    }

    void deleted(ServiceDefinition definition) {
        metrics.serviceRemoved(definition.name());
        upstreams.removed(definition.name());
        containersGone(definition.name());
    }

    private void defined(ServiceDefinition definition) {
        if (definition.isUpstream()) {
            upstreams.defined(definition);
            return;
        }
        ResolvedService spec = ResolvedService.of(definition, services.defaults());
        ServicePool pool = pools.getOrCreate(spec);
        if (pool == null) {
            return; // superseded already: the later change follows
        }
        if (!pool.spec().container().equals(spec.container())) {
            log.info("Service {} changed its container: its instances drain", spec.name());
        }
        runner.decide(pool, fx -> pool.define(spec, fx));
        spares.defined(spec);
        maintain.accept(pool);
    }

    private void containersGone(String service) {
        ServicePool pool = pools.remove(service);
        if (pool != null) {
            runner.decide(pool, pool::delete);
        }
        spares.deleted(service);
    }
}
