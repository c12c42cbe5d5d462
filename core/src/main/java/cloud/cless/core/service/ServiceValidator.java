package cloud.cless.core.service;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.StringJoiner;
import java.util.TreeMap;
import java.util.regex.Pattern;

/** Checks a definition (with defaults applied) against every rule of the admin API contract. */
public final class ServiceValidator {

    static final String LABEL = "[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?";
    static final int MAX_HOST_LENGTH = 253;
    static final int MAX_INSTANCES = 100;
    static final int MAX_IDLE_TIMEOUT_SECONDS = 7 * 24 * 60 * 60;
    static final int MAX_STARTUP_TIMEOUT_SECONDS = 600;
    static final int MAX_READINESS_PATH_LENGTH = 2048;
    /** Docker refuses a memory limit below 6 MiB. */
    static final int MIN_MEMORY_MB = 6;
    static final double MAX_CPUS = 1024;

    private static final Pattern NAME = Pattern.compile(LABEL);
    private static final Pattern HOST = Pattern.compile(LABEL + "(?:\\." + LABEL + ")*");
    private static final Pattern IMAGE_TAG = Pattern.compile("[\\w][\\w.-]{0,127}");
    private static final Pattern ENV_KEY = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    private static final String RESERVED_NAME = "admin";
    private static final String RESERVED_ENV_KEY = "PORT";

    private final boolean allowRemoteUpstreams;
    private final Set<String> reservedHosts;
    private final TrafficRules trafficRules;
    /** The container runtime that cannot pause, when it is the one in use; null when pausing is possible. */
    private final String pauseRefusedBy;

    /** Loopback upstreams only, no reserved hosts. */
    public ServiceValidator() {
        this(false, Set.of());
    }

    /**
     * @param allowRemoteUpstreams accept upstreams on other machines ({@code --allow-remote-upstreams})
     * @param reservedHosts        hosts no service may take (the admin host)
     */
    public ServiceValidator(boolean allowRemoteUpstreams, Set<String> reservedHosts) {
        this(allowRemoteUpstreams, reservedHosts, null);
    }

    private ServiceValidator(boolean allowRemoteUpstreams, Set<String> reservedHosts, String pauseRefusedBy) {
        this.allowRemoteUpstreams = allowRemoteUpstreams;
        this.reservedHosts = reservedHosts.stream().map(h -> h.toLowerCase(Locale.ROOT))
                .collect(java.util.stream.Collectors.toUnmodifiableSet());
        this.trafficRules = new TrafficRules(this.reservedHosts);
        this.pauseRefusedBy = pauseRefusedBy;
    }

    /**
     * The same rules, and {@code idle_action} {@code pause} refused: the container runtime in use ({@code runtime},
     * as the user named it, e.g. {@code swarm}) cannot pause an instance.
     */
    public ServiceValidator refusingPause(String runtime) {
        return new ServiceValidator(allowRemoteUpstreams, reservedHosts, runtime);
    }

    /** Throws {@link InvalidDefinitionException} naming every bad field. */
    public void check(ServiceDefinition def) {
        Map<String, String> errors = validate(def);
        if (!errors.isEmpty()) {
            throw new InvalidDefinitionException(errors);
        }
    }

    /**
     * Throws {@link InvalidDefinitionException} naming every bad field, the traffic's included.
     *
     * @param revisions  the names of the revisions the service has once the change is stored; the traffic may
     *                   name only these
     * @param newService false for a change to a stored service: rules that only new names must follow (no
     *                   {@code --}) are not applied to the name it already has
     */
    public void check(ServiceDefinition def, Set<String> revisions, boolean newService) {
        Map<String, String> errors = validate(def);
        if (!newService && errors.containsKey("name") && def.name().contains(TagHost.SEPARATOR)
                && NAME.matcher(def.name()).matches()) {
            errors.remove("name");
        }
        if (def.traffic() != null) {
            String host = errors.containsKey("host") || errors.containsKey("name") ? null : def.host();
            errors.putAll(trafficRules.validate(def.traffic(), def.name(), host, revisions));
        }
        if (!errors.isEmpty()) {
            throw new InvalidDefinitionException(errors);
        }
    }

    /** Field (snake_case) to message, empty when the definition is valid; the traffic is not checked here. */
    public Map<String, String> validate(ServiceDefinition def) {
        Map<String, String> errors = new LinkedHashMap<>();
        checkName(def, errors);
        checkSource(def, errors);
        checkPort(def, errors);
        checkHost(def, errors);
        checkEnv(def, errors);
        checkScaling(def, errors);
        checkTimeouts(def, errors);
        checkReadinessPath(def, errors);
        checkResources(def, errors);
        return errors;
    }

    private static void checkName(ServiceDefinition def, Map<String, String> errors) {
        String name = def.name();
        if (name == null || name.isEmpty()) {
            errors.put("name", "is required");
        } else if (!NAME.matcher(name).matches()) {
            errors.put("name", "must be a DNS label: 1-63 lower-case letters, digits or '-',"
                    + " starting and ending with a letter or digit");
        } else if (name.equals(RESERVED_NAME)) {
            errors.put("name", "must not be '" + RESERVED_NAME + "' (reserved for the admin API)");
        } else if (name.contains(TagHost.SEPARATOR)) {
            errors.put("name", "must not contain '--' (reserved for tagged hosts, <tag>--<host>)");
        }
    }

    private void checkSource(ServiceDefinition def, Map<String, String> errors) {
        boolean image = def.imageName() != null;
        boolean upstream = def.upstream() != null;
        if (!image && !upstream) {
            errors.put("image_name", "is required (or give upstream instead)");
            return;
        }
        if (image && upstream) {
            errors.put("upstream", "must not be given together with image_name: give one of them");
            return;
        }
        if (image) {
            String problem = ImageNameRule.problem(def.imageName());
            if (problem != null) {
                errors.put("image_name", problem);
            }
            if (def.imageTag() == null) {
                errors.put("image_tag", "is required");
            } else if (!IMAGE_TAG.matcher(def.imageTag()).matches()) {
                errors.put("image_tag", "must be 1-128 letters, digits, '_', '.' or '-',"
                        + " not starting with '.' or '-'");
            }
        } else {
            checkUpstream(def.upstream(), errors);
            if (def.imageTag() != null) {
                errors.put("image_tag", "must not be given with upstream (it applies to image_name only)");
            }
            // An upstream is a fixed address: nothing is started, probed or limited.
            if (!def.env().isEmpty()) {
                errors.put("env", "must be empty with upstream (no container is started)");
            }
            if (def.readinessPath() != null) {
                errors.put("readiness_path", "must not be given with upstream (an upstream is always ready)");
            }
            if (def.memoryMb() != null) {
                errors.put("memory_mb", "must not be given with upstream (no container is started)");
            }
            if (def.cpus() != null) {
                errors.put("cpus", "must not be given with upstream (no container is started)");
            }
        }
    }

    private void checkUpstream(String value, Map<String, String> errors) {
        UpstreamAddress address;
        try {
            address = UpstreamAddress.parse(value);
        } catch (IllegalArgumentException e) {
            errors.put("upstream", e.getMessage());
            return;
        }
        if (!address.loopback() && !allowRemoteUpstreams) {
            errors.put("upstream", "must be a loopback address (127.0.0.0/8, [::1] or localhost);"
                    + " remote upstreams need --allow-remote-upstreams");
        }
    }

    private static void checkPort(ServiceDefinition def, Map<String, String> errors) {
        Integer port = def.port();
        if (def.upstream() != null && def.imageName() == null) {
            if (port != null) {
                errors.put("port", "must not be given with upstream (the upstream names its own port)");
            }
        } else if (port == null) {
            errors.put("port", "is required");
        } else if (port < 1 || port > 65535) {
            errors.put("port", "must be between 1 and 65535");
        }
    }

    private void checkHost(ServiceDefinition def, Map<String, String> errors) {
        String host = def.host();
        if (host == null) {
            // Defaults derive the host from the name: a missing name is already reported.
            if (def.name() != null) {
                errors.put("host", "is required");
            }
            return;
        }
        if (host.isEmpty()) {
            errors.put("host", "must not be empty");
        } else if (host.length() > MAX_HOST_LENGTH) {
            errors.put("host", "must be at most " + MAX_HOST_LENGTH + " characters");
        } else if (host.indexOf(':') >= 0) {
            errors.put("host", "must not include a port");
        } else if (host.endsWith(".")) {
            errors.put("host", "must not end with a dot");
        } else if (!host.equals(host.toLowerCase(Locale.ROOT))) {
            errors.put("host", "must be lower case");
        } else if (!HOST.matcher(host).matches()) {
            errors.put("host", "must be a DNS name: dot-separated labels of 1-63 lower-case letters, digits"
                    + " or '-', each starting and ending with a letter or digit");
        } else if (reservedHosts.contains(host)) {
            errors.put("host", "must not be '" + host + "' (reserved for the admin API)");
        }
    }

    private static void checkEnv(ServiceDefinition def, Map<String, String> errors) {
        if (errors.containsKey("env")) {
            return;
        }
        StringJoiner problems = new StringJoiner("; ");
        for (Map.Entry<String, String> e : new TreeMap<>(def.env()).entrySet()) {
            String key = e.getKey();
            if (!ENV_KEY.matcher(key).matches()) {
                problems.add("key '" + key + "' must match [A-Za-z_][A-Za-z0-9_]*");
            } else if (key.equals(RESERVED_ENV_KEY)) {
                problems.add("key '" + RESERVED_ENV_KEY + "' is set by cless to the container port");
            } else if (e.getValue() == null) {
                problems.add("value of '" + key + "' must not be null");
            } else if (e.getValue().indexOf('\0') >= 0) {
                problems.add("value of '" + key + "' must not contain a NUL character");
            }
        }
        if (problems.length() > 0) {
            errors.put("env", problems.toString());
        }
    }

    private static void checkScaling(ServiceDefinition def, Map<String, String> errors) {
        Integer min = def.minInstances();
        Integer max = def.maxInstances();
        if (min == null) {
            errors.put("min_instances", "is required");
        } else if (min < 0) {
            errors.put("min_instances", "must be 0 or more");
        }
        if (max == null) {
            errors.put("max_instances", "is required");
        } else if (max < 1 || max > MAX_INSTANCES) {
            errors.put("max_instances", "must be between 1 and " + MAX_INSTANCES);
        } else if (min != null && min > max) {
            errors.put("max_instances", "must be at least min_instances (" + min + ")");
        }
        Integer concurrency = def.concurrency();
        if (concurrency == null) {
            errors.put("concurrency", "is required (0 means unlimited)");
        } else if (concurrency < 0) {
            errors.put("concurrency", "must be 0 (unlimited) or more");
        }
    }

    private void checkTimeouts(ServiceDefinition def, Map<String, String> errors) {
        Integer idle = def.idleTimeoutSeconds();
        if (idle == null) {
            errors.put("idle_timeout_seconds", "is required");
        } else if (idle < 1 || idle > MAX_IDLE_TIMEOUT_SECONDS) {
            errors.put("idle_timeout_seconds", "must be between 1 and " + MAX_IDLE_TIMEOUT_SECONDS + " (7 days)");
        }
        if (def.idleAction() == null) {
            errors.put("idle_action", "is required ('stop' or 'pause')");
        } else if (def.idleAction() == IdleAction.PAUSE && pauseRefusedBy != null && def.upstream() == null) {
            errors.put("idle_action", "must be 'stop': the " + pauseRefusedBy
                    + " runtime cannot pause instances");
        }
        Integer startup = def.startupTimeoutSeconds();
        if (startup == null) {
            errors.put("startup_timeout_seconds", "is required");
        } else if (startup < 1 || startup > MAX_STARTUP_TIMEOUT_SECONDS) {
            errors.put("startup_timeout_seconds", "must be between 1 and " + MAX_STARTUP_TIMEOUT_SECONDS);
        }
    }

    private static void checkReadinessPath(ServiceDefinition def, Map<String, String> errors) {
        String path = def.readinessPath();
        if (path == null || errors.containsKey("readiness_path")) {
            return;
        }
        if (path.length() > MAX_READINESS_PATH_LENGTH) {
            errors.put("readiness_path", "must be at most " + MAX_READINESS_PATH_LENGTH + " characters");
        } else if (!path.startsWith("/")) {
            errors.put("readiness_path", "must start with '/'");
        } else if (!path.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
            // It goes verbatim into the probe's request line: visible ASCII only.
            errors.put("readiness_path", "must not contain spaces, control or non-ASCII characters");
        }
    }

    private static void checkResources(ServiceDefinition def, Map<String, String> errors) {
        Integer memory = def.memoryMb();
        if (memory != null && memory < MIN_MEMORY_MB && !errors.containsKey("memory_mb")) {
            errors.put("memory_mb", "must be at least " + MIN_MEMORY_MB + " (Docker's minimum) or null");
        }
        Double cpus = def.cpus();
        if (cpus != null && !errors.containsKey("cpus") && !(cpus > 0 && cpus <= MAX_CPUS)) {
            errors.put("cpus", "must be more than 0 and at most " + (int) MAX_CPUS + ", or null");
        }
    }
}
