package cloud.cless.core.service;

import java.util.regex.Pattern;

/** The Docker reference grammar for a repository name without tag or digest ({@code [host[:port]/]path}). */
final class ImageNameRule {

    static final int MAX_LENGTH = 255;

    private static final Pattern PATH_COMPONENT = Pattern.compile("[a-z0-9]+(?:(?:[._]|__|[-]*)[a-z0-9]+)*");
    private static final String DOMAIN_COMPONENT = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
    private static final Pattern REGISTRY = Pattern.compile(
            "(?:" + DOMAIN_COMPONENT + "(?:\\." + DOMAIN_COMPONENT + ")*|\\[[0-9A-Fa-f:.]+\\])(?::[0-9]+)?");

    private ImageNameRule() {
    }

    /** What is wrong with {@code name}, or null when it is a valid repository name. */
    static String problem(String name) {
        if (name.isEmpty()) {
            return "must not be empty";
        }
        if (name.length() > MAX_LENGTH) {
            return "must be at most " + MAX_LENGTH + " characters";
        }
        if (name.indexOf('@') >= 0) {
            return "must not include a digest (@...); give the repository name only";
        }
        String[] components = name.split("/", -1);
        if (components[components.length - 1].indexOf(':') >= 0) {
            return "must not include a tag; give the tag in image_tag";
        }
        int first = 0;
        if (components.length > 1 && isRegistry(components[0])) {
            if (!REGISTRY.matcher(components[0]).matches()) {
                return "must start with a valid registry host[:port], got '" + components[0] + "'";
            }
            first = 1;
        }
        for (int i = first; i < components.length; i++) {
            if (!PATH_COMPONENT.matcher(components[i]).matches()) {
                return "must be a Docker image name: lower-case letters, digits and separators (. _ __ -)"
                        + " in components joined by '/', optionally after a registry host[:port]";
            }
        }
        return null;
    }

    // Docker's rule: the first component is a registry when it looks like a host (dot, port, localhost, capitals).
    private static boolean isRegistry(String component) {
        return component.indexOf('.') >= 0 || component.indexOf(':') >= 0 || component.equals("localhost")
                || !component.equals(component.toLowerCase(java.util.Locale.ROOT));
    }
}
