package cloud.cless.core.service;

/**
 * The host of a tag: {@code <tag>--<first label of the service's host>.<rest of the host>}, so
 * {@code canary--hello.localhost} for the tag {@code canary} of the service on {@code hello.localhost}. Tags and
 * service names hold no {@code --}, so the split back is unambiguous.
 */
public final class TagHost {
    /** Separates the tag from the service's first host label. */
    public static final String SEPARATOR = "--";

    private TagHost() {
    }

    public static String of(String tag, String serviceHost) {
        return tag + SEPARATOR + serviceHost;
    }

    /** The first label of the tag's host, which must stay a DNS label (at most 63 characters). */
    static String firstLabel(String tag, String serviceHost) {
        int dot = serviceHost.indexOf('.');
        return tag + SEPARATOR + (dot < 0 ? serviceHost : serviceHost.substring(0, dot));
    }
}
