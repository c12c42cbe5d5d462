package cloud.cless.core.service;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A service as it is registered: its definition (with its traffic), its revisions, when each last had a share
 * of the requests, and the traffic resolved to revisions. Immutable: every stored change makes a new one.
 */
public final class RegisteredService {
    private final ServiceDefinition definition;
    private final List<Revision> revisions;
    private final Map<String, Instant> lastServed;
    private final ResolvedTraffic traffic;

    /**
     * @param definition its definition, with non-null traffic naming only revisions in {@code revisions}
     * @param revisions  oldest first, numbers increasing; the last is the latest, whose spec the definition has
     * @param lastServed revision name to the last time it had a percent (as of the change that set it); revisions
     *                   that never had one are absent
     */
    public RegisteredService(ServiceDefinition definition, List<Revision> revisions, Map<String, Instant> lastServed) {
        this.definition = Objects.requireNonNull(definition, "definition");
        this.revisions = List.copyOf(revisions);
        if (definition.traffic() == null) {
            throw new IllegalArgumentException("service " + definition.name() + " has no traffic");
        }
        for (int i = 0; i < this.revisions.size(); i++) {
            Revision r = this.revisions.get(i);
            if (!r.service().equals(definition.name())) {
                throw new IllegalArgumentException(r.name() + " is not a revision of " + definition.name());
            }
            if (i > 0 && r.number() <= this.revisions.get(i - 1).number()) {
                throw new IllegalArgumentException("revisions of " + definition.name() + " must be oldest first");
            }
        }
        Map<String, Instant> served = new HashMap<>();
        lastServed.forEach((name, at) -> {
            if (at != null && this.revisions.stream().anyMatch(r -> r.name().equals(name))) {
                served.put(name, at);
            }
        });
        this.lastServed = Collections.unmodifiableMap(served);
        this.traffic = ResolvedTraffic.resolve(definition.traffic(), this.revisions);
    }

    public String name() {
        return definition.name();
    }

    public ServiceDefinition definition() {
        return definition;
    }

    /** Oldest first. */
    public List<Revision> revisions() {
        return revisions;
    }

    /** Newest first, as the admin API lists them. */
    public List<Revision> revisionsNewestFirst() {
        List<Revision> newest = new ArrayList<>(revisions);
        Collections.reverse(newest);
        return newest;
    }

    /** The newest revision: what the definition runs now, and what {@code latest} traffic reaches. */
    public Revision latest() {
        return revisions.get(revisions.size() - 1);
    }

    public Optional<Revision> revision(String name) {
        for (Revision r : revisions) {
            if (r.name().equals(name)) {
                return Optional.of(r);
            }
        }
        return Optional.empty();
    }

    public ResolvedTraffic traffic() {
        return traffic;
    }

    /** Revision name to the last time it had a percent, as of the last change that gave or took one. */
    public Map<String, Instant> lastServed() {
        return lastServed;
    }

    /** True when an entry of the traffic names {@code revision}, or it is the latest and an entry is latest. */
    public boolean referencedByTraffic(String revision) {
        boolean isLatest = latest().name().equals(revision);
        for (TrafficTarget target : definition.traffic()) {
            if (target.latest() ? isLatest : revision.equals(target.revision())) {
                return true;
            }
        }
        return false;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RegisteredService other && definition.equals(other.definition)
                && revisions.equals(other.revisions) && lastServed.equals(other.lastServed);
    }

    @Override
    public int hashCode() {
        return Objects.hash(definition, revisions, lastServed);
    }

    @Override
    public String toString() {
        return "RegisteredService[" + definition.name() + ", latest " + latest().name() + ", traffic " + traffic
                + "]";
    }
}
