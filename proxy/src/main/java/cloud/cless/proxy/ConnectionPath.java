package cloud.cless.proxy;

import cloud.cless.core.instance.InstanceManager;
import cloud.cless.core.metrics.ClessMetrics;
import cloud.cless.core.service.ServiceRegistry;

/**
 * The steps of a proxied connection and what they share: sniff the head ({@link HostSniffHandler}), route it
 * ({@link RouteHandler}), await an instance ({@link AwaitInstanceHandler}), relay ({@link RelaySession}).
 */
public final class ConnectionPath {
    static final String SNIFF = "sniff";
    static final String ROUTE = "route";
    static final String AWAIT = "await";
    static final String RELAY = "relay";

    private final ProxyConfig config;
    private final RequestHeadParser parser;
    private final ClientErrors errors;
    private final ServiceRegistry registry;
    private final InstanceManager instances;
    private final AdminRoute adminRoute;
    private final BackendConnector connector;
    private final ClessMetrics metrics;

    public ConnectionPath(ProxyConfig config, ServiceRegistry registry, InstanceManager instances,
                          AdminRoute adminRoute, BackendConnector connector, ClessMetrics metrics) {
        this.config = config;
        this.parser = new RequestHeadParser(config.maxHeaderSize());
        this.errors = new ClientErrors(config.errorLinger(), config.retryAfterSeconds(), metrics);
        this.metrics = metrics;
        this.registry = registry;
        this.instances = instances;
        this.adminRoute = adminRoute;
        this.connector = connector;
    }

    HostSniffHandler newSniffHandler() {
        return new HostSniffHandler(parser, config.headerTimeout(), errors);
    }

    RouteHandler newRouteHandler() {
        return new RouteHandler(this);
    }

    String adminHost() {
        return config.adminHost();
    }

    ClientErrors errors() {
        return errors;
    }

    ServiceRegistry registry() {
        return registry;
    }

    InstanceManager instances() {
        return instances;
    }

    AdminRoute adminRoute() {
        return adminRoute;
    }

    BackendConnector connector() {
        return connector;
    }

    ClessMetrics metrics() {
        return metrics;
    }
}
