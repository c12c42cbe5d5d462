package cloud.cless.core.runtime;

/**
 * An image reference split the way the engine's pull API wants it: the repository, and a tag or digest.
 *
 * @param repository the repository, including any registry host ({@code localhost:5000/app})
 * @param tag        the tag or the digest ({@code sha256:...}); {@code latest} when the reference names none
 */
record ImageReference(String repository, String tag) {

    static ImageReference parse(String reference) {
        int at = reference.indexOf('@');
        if (at >= 0) {
            return new ImageReference(reference.substring(0, at), reference.substring(at + 1));
        }
        int colon = reference.lastIndexOf(':');
        // A colon before the last slash belongs to a registry host with a port, not to a tag.
        if (colon > reference.lastIndexOf('/')) {
            return new ImageReference(reference.substring(0, colon), reference.substring(colon + 1));
        }
        return new ImageReference(reference, "latest");
    }

    @Override
    public String toString() {
        return repository + (tag.startsWith("sha256:") ? "@" : ":") + tag;
    }
}
