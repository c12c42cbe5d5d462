package cloud.cless.admin;

import cloud.cless.core.cluster.ClusterStatus;
import cloud.cless.core.instance.InstanceManager;
import cloud.cless.core.service.InvalidDefinitionException;
import cloud.cless.core.service.RevisionInUseException;
import cloud.cless.core.service.RevisionNotFoundException;
import cloud.cless.core.service.ServiceDefinition;
import cloud.cless.core.service.ServiceRegistry;
import cloud.cless.core.store.DuplicateServiceException;
import cloud.cless.core.store.ServiceNotFoundException;
import cloud.cless.core.store.StoreUnavailableException;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin API's routes, independent of the transport: checks the bearer token, routes a request to the
 * registry, the instance manager or the cluster's status, and turns every outcome (including failures) into an {@link ApiResponse}.
 * Thread-safe and shared by all admin connections.
 */
final class AdminApi {
    private static final Logger log = LoggerFactory.getLogger(AdminApi.class);
    static final String COLLECTION = "serviceDefinitions";
    private static final byte[] HEALTHY = "{\"status\":\"ok\"}".getBytes(StandardCharsets.US_ASCII);
    /** The Prometheus text exposition format, version 0.0.4. */
    static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";
    /** A database outage is seconds at the least: a client need not retry sooner. */
    private static final String STORE_RETRY_AFTER_SECONDS = "5";

    private final ServiceRegistry registry;
    private final InstanceManager instances;
    private final AdminToken token;
    private final AdminJson json;
    private final PrometheusMeterRegistry metrics;
    private final RevisionRoutes revisions;
    private final ClusterStatus cluster;

    AdminApi(ServiceRegistry registry, InstanceManager instances, AdminToken token, AdminJson json,
             PrometheusMeterRegistry metrics, ClusterStatus cluster) {
        this.registry = Objects.requireNonNull(registry, "registry");
        this.instances = Objects.requireNonNull(instances, "instances");
        this.token = Objects.requireNonNull(token, "token");
        this.json = Objects.requireNonNull(json, "json");
        this.metrics = Objects.requireNonNull(metrics, "metrics");
        this.revisions = new RevisionRoutes(this, registry, instances, json);
        this.cluster = Objects.requireNonNull(cluster, "cluster");
    }

    /**
     * Answers one request. The body is read during the call and not kept. The future never fails: errors become
     * error responses. Registry writes complete it on the registry's blocking executor.
     */
    CompletableFuture<ApiResponse> handle(HttpMethod method, String uri, String authorization, ByteBuf body) {
        String path;
        try {
            path = new QueryStringDecoder(uri).path();
        } catch (IllegalArgumentException badEscape) {
            return done(error(HttpResponseStatus.BAD_REQUEST, "bad_request",
                    "malformed request target: " + badEscape.getMessage()));
        }
        try {
            return route(method, path, authorization, body).exceptionally(failure -> failed(method, path, failure));
        } catch (RuntimeException e) {
            return done(failed(method, path, e));
        }
    }

    private CompletableFuture<ApiResponse> route(HttpMethod method, String path, String authorization, ByteBuf body) {
        if (path.equals("/")) {
            return done(method.equals(HttpMethod.GET)
                    ? ApiResponse.text(HttpResponseStatus.OK, "Admin server is running") : notAllowed(method, "GET"));
        }
        if (path.equals("/healthz")) {
            return done(method.equals(HttpMethod.GET)
                    ? ApiResponse.json(HttpResponseStatus.OK, HEALTHY) : notAllowed(method, "GET"));
        }
        // Everything else needs the token, unknown routes too: no route probing without it.
        if (!authorized(authorization)) {
            return done(error(HttpResponseStatus.UNAUTHORIZED, "unauthorized",
                    "missing or invalid bearer token (Authorization: Bearer <token>)")
                    .withHeader(HttpHeaderNames.WWW_AUTHENTICATE.toString(), "Bearer realm=\"cless\""));
        }
        if (path.equals("/metrics")) {
            // A scrape formats every series in memory: cheap enough for the event loop at cless's cardinality.
            return done(method.equals(HttpMethod.GET)
                    ? new ApiResponse(HttpResponseStatus.OK, PROMETHEUS_TEXT,
                            metrics.scrape().getBytes(StandardCharsets.UTF_8), Map.of())
                    : notAllowed(method, "GET"));
        }
        if (path.equals("/cluster")) {
            // The reports come from the shared database (off this thread); on one host from memory.
            return method.equals(HttpMethod.GET)
                    ? cluster.read().thenApply(view -> ApiResponse.json(HttpResponseStatus.OK, json.writeCluster(view)))
                    : done(notAllowed(method, "GET"));
        }
        String[] segments = path.substring(1).split("/", -1);
        if (!segments[0].equals(COLLECTION) || segments.length > 4 || Arrays.asList(segments).subList(1,
                segments.length).contains("")) {
            return done(notFound("no route " + path));
        }
        if (segments.length == 1) {
            if (method.equals(HttpMethod.GET)) {
                return done(ApiResponse.json(HttpResponseStatus.OK, json.writeDefinitions(registry.services())));
            }
            if (method.equals(HttpMethod.POST)) {
                return create(body);
            }
            return done(notAllowed(method, "GET, POST"));
        }
        String name = segments[1];
        if (segments.length == 2) {
            return definition(method, name, body);
        }
        String part = segments[2];
        if (segments.length == 4) {
            return part.equals("revisions") ? revisions.one(method, name, segments[3])
                    : done(notFound("no route " + path));
        }
        return switch (part) {
            case "instances" -> done(method.equals(HttpMethod.GET) ? listInstances(name) : notAllowed(method, "GET"));
            case "revisions" -> done(method.equals(HttpMethod.GET) ? revisions.list(name) : notAllowed(method, "GET"));
            case "traffic" -> method.equals(HttpMethod.PUT) ? revisions.putTraffic(name, body)
                    : done(notAllowed(method, "PUT"));
            default -> done(notFound("no route " + path));
        };
    }

    private CompletableFuture<ApiResponse> definition(HttpMethod method, String name, ByteBuf body) {
        if (method.equals(HttpMethod.GET)) {
            return done(registry.service(name)
                    .map(service -> ApiResponse.json(HttpResponseStatus.OK, json.writeDefinition(service)))
                    .orElseGet(() -> noService(name)));
        }
        if (method.equals(HttpMethod.PUT)) {
            ServiceDefinition requested = json.readDefinition(body);
            return registry.update(name, requested)
                    .thenApply(service -> ApiResponse.json(HttpResponseStatus.OK, json.writeDefinition(service)));
        }
        if (method.equals(HttpMethod.DELETE)) {
            return registry.delete(name).thenApply(none -> ApiResponse.empty(HttpResponseStatus.NO_CONTENT));
        }
        return done(notAllowed(method, "GET, PUT, DELETE"));
    }

    private CompletableFuture<ApiResponse> create(ByteBuf body) {
        ServiceDefinition requested = json.readDefinition(body);
        return registry.create(requested).thenApply(service ->
                ApiResponse.json(HttpResponseStatus.CREATED, json.writeDefinition(service))
                        .withHeader(HttpHeaderNames.LOCATION.toString(), "/" + COLLECTION + "/" + service.name()));
    }

    private ApiResponse listInstances(String name) {
        if (registry.get(name).isEmpty()) {
            return noService(name);
        }
        return ApiResponse.json(HttpResponseStatus.OK, json.writeInstances(instances.instances(name)));
    }

    private boolean authorized(String authorization) {
        String scheme = "Bearer ";
        if (authorization == null || !authorization.regionMatches(true, 0, scheme, 0, scheme.length())) {
            return false;
        }
        return token.matches(authorization.substring(scheme.length()).strip());
    }

    private ApiResponse failed(HttpMethod method, String path, Throwable failure) {
        Throwable cause = failure;
        while ((cause instanceof CompletionException || cause instanceof ExecutionException)
                && cause.getCause() != null) {
            cause = cause.getCause();
        }
        if (cause instanceof ApiException e) {
            return ApiResponse.json(e.status(), json.write(e.body()));
        }
        if (cause instanceof InvalidDefinitionException e) {
            return ApiResponse.json(HttpResponseStatus.BAD_REQUEST,
                    json.write(ApiException.invalidDefinition(e.fields()).body()));
        }
        if (cause instanceof DuplicateServiceException e) {
            return ApiResponse.json(HttpResponseStatus.CONFLICT, json.write(
                    new ErrorBody("conflict", e.getMessage(), Map.of(e.field(), "is taken"))));
        }
        if (cause instanceof ServiceNotFoundException || cause instanceof RevisionNotFoundException) {
            return error(HttpResponseStatus.NOT_FOUND, "not_found", cause.getMessage());
        }
        if (cause instanceof RevisionInUseException e) {
            return error(HttpResponseStatus.CONFLICT, "conflict", e.getMessage());
        }
        if (cause instanceof StoreUnavailableException e) {
            // Nothing was written; reads keep being served from memory meanwhile.
            log.warn("Admin API {} {}: {}", method, path, e.getMessage());
            return error(HttpResponseStatus.SERVICE_UNAVAILABLE, "store_unavailable", e.getMessage()
                    + "; nothing was changed, try again once the database is back")
                    .withHeader(HttpHeaderNames.RETRY_AFTER.toString(), STORE_RETRY_AFTER_SECONDS);
        }
        log.error("Admin API {} {} failed", method, path, cause);
        return error(HttpResponseStatus.INTERNAL_SERVER_ERROR, "internal_error",
                "internal error; the server log has the details");
    }

    ApiResponse noService(String name) {
        return notFound("no service named '" + name + "'");
    }

    private ApiResponse notFound(String message) {
        return error(HttpResponseStatus.NOT_FOUND, "not_found", message);
    }

    ApiResponse notAllowed(HttpMethod method, String allow) {
        return error(HttpResponseStatus.METHOD_NOT_ALLOWED, "method_not_allowed",
                method.name() + " is not allowed on this route; allowed: " + allow)
                .withHeader(HttpHeaderNames.ALLOW.toString(), allow);
    }

    ApiResponse error(HttpResponseStatus status, String code, String message) {
        return ApiResponse.json(status, json.write(new ErrorBody(code, message, null)));
    }

    static CompletableFuture<ApiResponse> done(ApiResponse response) {
        return CompletableFuture.completedFuture(response);
    }
}
