package cloud.cless.core.service;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/** Checks a service's traffic against the rules of the admin API contract; errors are keyed per entry. */
final class TrafficRules {
    static final int MAX_ENTRIES = 100;
    private static final Pattern TAG = Pattern.compile(ServiceValidator.LABEL);
    private static final int MAX_LABEL_LENGTH = 63;

    private final Set<String> reservedHosts;

    /** @param reservedHosts hosts no tag may reach (the admin host), lower case */
    TrafficRules(Set<String> reservedHosts) {
        this.reservedHosts = reservedHosts;
    }

    /**
     * Field to message for every broken rule, {@code traffic[1].percent} style; empty when valid.
     *
     * @param traffic   the entries (not null)
     * @param service   the service's name, for messages
     * @param host      the service's host, null when it is itself invalid (tag hosts are then not checked)
     * @param revisions names of the revisions the service has once the change is stored
     */
    Map<String, String> validate(List<TrafficTarget> traffic, String service, String host, Set<String> revisions) {
        Map<String, String> errors = new LinkedHashMap<>();
        if (traffic.isEmpty()) {
            errors.put("traffic", "must have at least one entry, and the percents must add up to 100");
            return errors;
        }
        if (traffic.size() > MAX_ENTRIES) {
            errors.put("traffic", "must have at most " + MAX_ENTRIES + " entries");
            return errors;
        }
        Map<String, Integer> tagAt = new HashMap<>();
        int sum = 0;
        for (int i = 0; i < traffic.size(); i++) {
            TrafficTarget target = traffic.get(i);
            String at = "traffic[" + i + "]";
            checkTarget(target, at, service, revisions, errors);
            if (target.percent() < 0 || target.percent() > ResolvedTraffic.ALL) {
                errors.put(at + ".percent", "must be between 0 and 100");
            } else {
                sum += target.percent();
            }
            if (target.tag() != null) {
                String problem = tagProblem(target.tag(), host);
                Integer first = tagAt.putIfAbsent(target.tag(), i);
                if (problem == null && first != null) {
                    problem = "is already the tag of traffic[" + first + "]; tags are unique per service";
                }
                if (problem != null) {
                    errors.put(at + ".tag", problem);
                }
            }
        }
        if (sum != ResolvedTraffic.ALL && errors.keySet().stream().noneMatch(k -> k.endsWith(".percent"))) {
            errors.put("traffic", "percents must add up to 100, not " + sum);
        }
        return errors;
    }

    private static void checkTarget(TrafficTarget target, String at, String service, Set<String> revisions,
                                    Map<String, String> errors) {
        if (target.latest() && target.revision() != null) {
            errors.put(at, "give either revision or \"latest\": true, not both");
        } else if (!target.latest() && target.revision() == null) {
            errors.put(at, "give a revision (e.g. " + Revision.name(service == null ? "hello" : service, 1)
                    + ") or \"latest\": true");
        } else if (target.revision() != null && !revisions.contains(target.revision())) {
            errors.put(at + ".revision", "service '" + service + "' has no revision '" + target.revision() + "'");
        }
    }

    private String tagProblem(String tag, String host) {
        if (!TAG.matcher(tag).matches()) {
            return "must be a DNS label: 1-63 lower-case letters, digits or '-', starting and ending with a letter"
                    + " or digit";
        }
        if (tag.contains(TagHost.SEPARATOR)) {
            return "must not contain '--' (it separates the tag from the host in <tag>--<host>)";
        }
        if (host == null) {
            return null;
        }
        String label = TagHost.firstLabel(tag, host);
        if (label.length() > MAX_LABEL_LENGTH) {
            return "is too long for its host: '" + label + "' is longer than " + MAX_LABEL_LENGTH + " characters";
        }
        String tagHost = TagHost.of(tag, host);
        if (tagHost.length() > ServiceValidator.MAX_HOST_LENGTH) {
            return "is too long for its host: " + tagHost.length() + " characters, at most "
                    + ServiceValidator.MAX_HOST_LENGTH;
        }
        if (reservedHosts.contains(tagHost)) {
            return "makes the host '" + tagHost + "', which is reserved for the admin API";
        }
        return null;
    }
}
