package cloud.cless.admin;

import cloud.cless.core.cluster.ClusterStatus;
import cloud.cless.core.instance.InstanceManager;
import cloud.cless.core.service.ServiceRegistry;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpServerCodec;

/**
 * Installs the admin API on a channel: HTTP codec, a 1 MiB body aggregator that answers 413 in the API's JSON
 * shape, and an {@link AdminHandler}. Works on a fresh channel (the admin port) and on a proxy channel that is
 * already active and whose first bytes the proxy replays after {@link #install} returns. One instance serves every
 * channel.
 */
public final class AdminPipeline {
    /** Largest request body accepted: 1 MiB. */
    public static final int MAX_BODY_BYTES = 1024 * 1024;
    /** Request line and header limit, the same as the proxy's default {@code --max-header-size}. */
    static final int MAX_HEAD_BYTES = 16 * 1024;

    private final AdminApi api;
    private final AdminJson json;

    /** {@code metrics} is what {@code GET /metrics} serves, {@code cluster} what {@code GET /cluster} does. */
    public AdminPipeline(ServiceRegistry registry, InstanceManager instances, AdminToken token,
                         PrometheusMeterRegistry metrics, ClusterStatus cluster) {
        this.json = new AdminJson();
        this.api = new AdminApi(registry, instances, token, json, metrics, cluster);
    }

    /** Adds the admin handlers at the end of {@code pipeline} and turns auto-read on. */
    public void install(ChannelPipeline pipeline) {
        pipeline.addLast("admin-http", new HttpServerCodec(new HttpDecoderConfig()
                .setMaxInitialLineLength(MAX_HEAD_BYTES)
                .setMaxHeaderSize(MAX_HEAD_BYTES)));
        pipeline.addLast("admin-aggregator", new AdminAggregator(MAX_BODY_BYTES));
        pipeline.addLast("admin-api", new AdminHandler(api, json));
    }
}
