package cloud.cless.admin;

import cloud.cless.core.instance.InstanceInfo;
import cloud.cless.core.instance.InstanceManager;
import cloud.cless.core.service.RegisteredService;
import cloud.cless.core.service.Revision;
import cloud.cless.core.service.RevisionNotFoundException;
import cloud.cless.core.service.ServiceRegistry;
import cloud.cless.core.service.TrafficTarget;
import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * The admin routes of a service's revisions and traffic: {@code GET .../revisions}, {@code GET|DELETE
 * .../revisions/{revision}} and {@code PUT .../traffic}.
 */
final class RevisionRoutes {
    private final AdminApi api;
    private final ServiceRegistry registry;
    private final InstanceManager instances;
    private final AdminJson json;

    RevisionRoutes(AdminApi api, ServiceRegistry registry, InstanceManager instances, AdminJson json) {
        this.api = api;
        this.registry = registry;
        this.instances = instances;
        this.json = json;
    }

    /** {@code GET .../revisions}: newest first, each with its instance count. */
    ApiResponse list(String name) {
        Optional<RegisteredService> service = registry.service(name);
        if (service.isEmpty()) {
            return api.noService(name);
        }
        return ApiResponse.json(HttpResponseStatus.OK,
                json.writeRevisions(service.get(), instanceCounts(name), Instant.now()));
    }

    /** {@code GET} or {@code DELETE .../revisions/{revision}}. */
    CompletableFuture<ApiResponse> one(HttpMethod method, String name, String revisionName) {
        if (method.equals(HttpMethod.DELETE)) {
            return registry.deleteRevision(name, revisionName)
                    .thenApply(service -> ApiResponse.empty(HttpResponseStatus.NO_CONTENT));
        }
        if (!method.equals(HttpMethod.GET)) {
            return AdminApi.done(api.notAllowed(method, "GET, DELETE"));
        }
        Optional<RegisteredService> service = registry.service(name);
        if (service.isEmpty()) {
            return AdminApi.done(api.noService(name));
        }
        Revision revision = service.get().revision(revisionName)
                .orElseThrow(() -> new RevisionNotFoundException(name, revisionName));
        long count = instanceCounts(name).getOrDefault(revisionName, 0L);
        return AdminApi.done(ApiResponse.json(HttpResponseStatus.OK,
                json.writeRevision(service.get(), revision, count, Instant.now())));
    }

    /** {@code PUT .../traffic}: the body is the new traffic list; answers with the service. */
    CompletableFuture<ApiResponse> putTraffic(String name, ByteBuf body) {
        List<TrafficTarget> traffic = json.readTraffic(body);
        return registry.updateTraffic(name, traffic)
                .thenApply(service -> ApiResponse.json(HttpResponseStatus.OK, json.writeDefinition(service)));
    }

    private Map<String, Long> instanceCounts(String name) {
        Map<String, Long> counts = new HashMap<>();
        for (InstanceInfo instance : instances.instances(name)) {
            if (instance.revision() != null) {
                counts.merge(instance.revision(), 1L, Long::sum);
            }
        }
        return counts;
    }
}
