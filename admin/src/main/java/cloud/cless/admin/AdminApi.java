package cloud.cless.admin;

import cloud.cless.core.instance.InstanceManager;
import cloud.cless.core.service.InvalidDefinitionException;
import cloud.cless.core.service.ServiceDefinition;
import cloud.cless.core.service.ServiceRegistry;
import cloud.cless.core.store.DuplicateServiceException;
import cloud.cless.core.store.ServiceNotFoundException;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin API's routes, independent of the transport: checks the bearer token, routes a request to the
 * registry or the instance manager, and turns every outcome (including failures) into an {@link ApiResponse}.
 * Thread-safe and shared by all admin connections.
 */
final class AdminApi {
    private static final Logger log = LoggerFactory.getLogger(AdminApi.class);
    static final String COLLECTION = "serviceDefinitions";
    private static final byte[] HEALTHY = "{\"status\":\"ok\"}".getBytes(StandardCharsets.US_ASCII);
    /** The Prometheus text exposition format, version 0.0.4. */
    static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

    private final ServiceRegistry registry;
    private final InstanceManager instances;
    private final AdminToken token;
    private final AdminJson json;
    private final PrometheusMeterRegistry metrics;

    AdminApi(ServiceRegistry registry, InstanceManager instances, AdminToken token, AdminJson json,
             PrometheusMeterRegistry metrics) {
        this.registry = Objects.requireNonNull(registry, "registry");
        this.instances = Objects.requireNonNull(instances, "instances");
        this.token = Objects.requireNonNull(token, "token");
        this.json = Objects.requireNonNull(json, "json");
        this.metrics = Objects.requireNonNull(metrics, "metrics");
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
        String[] segments = path.substring(1).split("/", -1);
        if (!segments[0].equals(COLLECTION) || segments.length > 3 || (segments.length > 1 && segments[1].isEmpty())) {
            return done(notFound("no route " + path));
        }
        if (segments.length == 1) {
            if (method.equals(HttpMethod.GET)) {
                return done(ApiResponse.json(HttpResponseStatus.OK, json.writeDefinitions(registry.list())));
            }
            if (method.equals(HttpMethod.POST)) {
                return create(body);
            }
            return done(notAllowed(method, "GET, POST"));
        }
        String name = segments[1];
        if (segments.length == 3) {
            if (!segments[2].equals("instances")) {
                return done(notFound("no route " + path));
            }
            return done(method.equals(HttpMethod.GET) ? listInstances(name) : notAllowed(method, "GET"));
        }
        if (method.equals(HttpMethod.GET)) {
            return done(registry.get(name)
                    .map(def -> ApiResponse.json(HttpResponseStatus.OK, json.writeDefinition(def)))
                    .orElseGet(() -> noService(name)));
        }
        if (method.equals(HttpMethod.PUT)) {
            ServiceDefinition requested = json.readDefinition(body);
            return registry.update(name, requested)
                    .thenApply(def -> ApiResponse.json(HttpResponseStatus.OK, json.writeDefinition(def)));
        }
        if (method.equals(HttpMethod.DELETE)) {
            return registry.delete(name).thenApply(none -> ApiResponse.empty(HttpResponseStatus.NO_CONTENT));
        }
        return done(notAllowed(method, "GET, PUT, DELETE"));
    }

    private CompletableFuture<ApiResponse> create(ByteBuf body) {
        ServiceDefinition requested = json.readDefinition(body);
        return registry.create(requested).thenApply(def ->
                ApiResponse.json(HttpResponseStatus.CREATED, json.writeDefinition(def))
                        .withHeader(HttpHeaderNames.LOCATION.toString(), "/" + COLLECTION + "/" + def.name()));
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
        if (cause instanceof ServiceNotFoundException e) {
            return error(HttpResponseStatus.NOT_FOUND, "not_found", e.getMessage());
        }
        log.error("Admin API {} {} failed", method, path, cause);
        return error(HttpResponseStatus.INTERNAL_SERVER_ERROR, "internal_error",
                "internal error; the server log has the details");
    }

    private ApiResponse noService(String name) {
        return notFound("no service named '" + name + "'");
    }

    private ApiResponse notFound(String message) {
        return error(HttpResponseStatus.NOT_FOUND, "not_found", message);
    }

    private ApiResponse notAllowed(HttpMethod method, String allow) {
        return error(HttpResponseStatus.METHOD_NOT_ALLOWED, "method_not_allowed",
                method.name() + " is not allowed on this route; allowed: " + allow)
                .withHeader(HttpHeaderNames.ALLOW.toString(), allow);
    }

    private ApiResponse error(HttpResponseStatus status, String code, String message) {
        return ApiResponse.json(status, json.write(new ErrorBody(code, message, null)));
    }

    private static CompletableFuture<ApiResponse> done(ApiResponse response) {
        return CompletableFuture.completedFuture(response);
    }
}
