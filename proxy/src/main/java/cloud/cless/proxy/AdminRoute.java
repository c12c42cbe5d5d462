package cloud.cless.proxy;

import io.netty.channel.Channel;

/**
 * Turns a proxied connection into an admin API connection: adds the admin HTTP handlers to the end of the
 * channel's pipeline (from which the proxy's own handlers are gone by then). The proxy then replays the bytes it
 * already read into the pipeline and turns auto-read on.
 */
@FunctionalInterface
public interface AdminRoute {
    void install(Channel channel);
}
