package cloud.cless.proxy;

import cloud.cless.core.instance.InstanceManager;
import cloud.cless.core.metrics.ClessMetrics;
import cloud.cless.core.service.ServiceRegistry;
import cloud.cless.proxy.http1.RequestHeadParser;
import cloud.cless.proxy.http1.ResponseHeadParser;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * The path of a request, and what its steps share. In the order the bytes meet them:
 * <ol>
 *   <li>{@link ClientConnection} reads each request head of a connection (the HTTP/1 codec is in
 *       {@code cloud.cless.proxy.http1});</li>
 *   <li>{@link Router} routes it by its Host: the admin API ({@link AdminHandover}), a service, or a 404;</li>
 *   <li>{@link Acquisition} leases an instance and gets an upstream connection ({@link UpstreamPool},
 *       {@link UpstreamConnector});</li>
 *   <li>{@link Exchange} sends the request ({@link RequestForwarder}) and streams the response back
 *       ({@link ResponseForwarder});</li>
 *   <li>{@link Tunnel} carries the bytes after a 101.</li>
 * </ol>
 * Errors cless answers itself go through {@link ClientErrors}; each request ends in a {@link RequestRecord}, written
 * to the {@link AccessLog} and counted in the metrics.
 */
final class RequestPath {
    static final String CLIENT = "client";
    static final String UPSTREAM = "upstream";
    static final String TUNNEL = "tunnel";

    private final ProxyConfig config;
    private final RequestHeadParser requestParser;
    private final ResponseHeadParser responseParser = new ResponseHeadParser();
    private final ClientErrors errors;
    private final ServiceRegistry registry;
    private final InstanceManager instances;
    private final AdminRoute adminRoute;
    private final UpstreamConnector connector;
    private final ClessMetrics metrics;
    private final Router router;
    private final Map<EventExecutor, UpstreamPool> pools = new IdentityHashMap<>();
    private final boolean watchesWaitingClients;

    /**
     * @param watchesWaitingClients read (a bounded amount) from a client whose request awaits its lease, to notice
     *                              it leaving: for a transport that sees a hang-up by reading alone
     */
    RequestPath(ProxyConfig config, ServiceRegistry registry, InstanceManager instances, AdminRoute adminRoute,
                UpstreamConnector connector, ClessMetrics metrics, EventLoopGroup group,
                boolean watchesWaitingClients) {
        this.config = config;
        this.requestParser = new RequestHeadParser(config.maxHeaderSize());
        this.errors = new ClientErrors(config.errorLinger(), config.retryAfterSeconds(), metrics);
        this.registry = registry;
        this.instances = instances;
        this.adminRoute = adminRoute;
        this.connector = connector;
        this.metrics = metrics;
        this.router = new Router(this);
        this.watchesWaitingClients = watchesWaitingClients;
        for (EventExecutor executor : group) {
            pools.put(executor, new UpstreamPool((EventLoop) executor, config.upstreamIdleTimeout(),
                    config.maxIdlePerInstance(), UpstreamPool.ANSWER_GRACE));
        }
    }

    ClientConnection newClientConnection() {
        return new ClientConnection(this);
    }

    ProxyConfig config() {
        return config;
    }

    RequestHeadParser requestParser() {
        return requestParser;
    }

    ResponseHeadParser responseParser() {
        return responseParser;
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

    UpstreamConnector connector() {
        return connector;
    }

    ClessMetrics metrics() {
        return metrics;
    }

    Router router() {
        return router;
    }

    /** Whether a client whose request awaits its lease is read from, to notice it leaving. */
    boolean watchesWaitingClients() {
        return watchesWaitingClients;
    }

    /** The pool of {@code loop}, one of the group's loops. */
    UpstreamPool pool(EventLoop loop) {
        return pools.get(loop);
    }

    /** Closes every pool's idle connections, each on its own loop. */
    void closePools() {
        for (UpstreamPool pool : pools.values()) {
            try {
                pool.loop().execute(pool::close);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                // the loop is shut down already, and its connections with it
            }
        }
    }
}
