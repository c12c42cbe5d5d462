package cloud.cless.core.service;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.StringJoiner;

/**
 * Works out what a requested change does to a service, without storing anything: whether it makes a revision
 * (any change to what containers run does; host, scaling and timeouts change in place), whether the result is
 * valid, when revisions last served, and which revisions fall out of the history. Pure; unit-tested alone.
 */
final class ChangePlanner {
    private final ServiceValidator validator;
    private final int history;

    /** @param history how many of the newest revisions are kept whatever their traffic ({@code --revision-history}) */
    ChangePlanner(ServiceValidator validator, int history) {
        if (history < 1) {
            throw new IllegalArgumentException("the revision history keeps at least 1 revision, got " + history);
        }
        this.validator = validator;
        this.history = history;
    }

    /**
     * A new service: its first revision has {@code number} (1 unless the name had revisions before it was
     * deleted). {@code definition} has its defaults; null traffic becomes {@link TrafficTarget#DEFAULT}.
     */
    ServiceChange create(ServiceDefinition definition, int number, Instant now) {
        ServiceDefinition def = definition.traffic() != null ? definition
                : definition.toBuilder().traffic(TrafficTarget.DEFAULT).build();
        if (def.name() == null) {
            validator.check(def, Set.of(), true); // throws: the name is required
        }
        Revision first = Revision.of(def.name(), number, now, RevisionSpec.of(def));
        validator.check(def, Set.of(first.name()), true);
        RegisteredService current = served(null, new RegisteredService(def, List.of(first), Map.of()), now);
        return new ServiceChange(ServiceChange.Kind.CREATE, null, current, first, List.of());
    }

    /**
     * A replaced definition ({@code kind} UPDATE) or new traffic (TRAFFIC) for {@code previous}. {@code definition}
     * has its defaults and the same name; null traffic keeps the service's. A change to what containers run makes
     * the next revision.
     */
    ServiceChange change(ServiceChange.Kind kind, RegisteredService previous, ServiceDefinition definition,
                         Instant now) {
        ServiceDefinition def = definition.traffic() != null ? definition
                : definition.toBuilder().traffic(previous.definition().traffic()).build();
        List<Revision> revisions = new ArrayList<>(previous.revisions());
        Revision created = null;
        RevisionSpec spec = RevisionSpec.of(def);
        if (!spec.equals(previous.latest().spec())) {
            created = Revision.of(def.name(), previous.latest().number() + 1, now, spec);
            revisions.add(created);
        }
        Set<String> names = new HashSet<>();
        revisions.forEach(r -> names.add(r.name()));
        validator.check(def, names, false);
        RegisteredService changed = served(previous,
                new RegisteredService(def, revisions, previous.lastServed()), now);
        List<Revision> expired = RevisionRetention.expired(changed, history);
        RegisteredService current = expired.isEmpty() ? changed : without(changed, expired);
        return new ServiceChange(kind, previous, current, created, expired);
    }

    /** Deletes one revision; refused while it is the latest or the traffic names it. */
    ServiceChange deleteRevision(RegisteredService previous, String name) {
        Revision revision = previous.revision(name)
                .orElseThrow(() -> new RevisionNotFoundException(previous.name(), name));
        if (revision.equals(previous.latest())) {
            throw new RevisionInUseException("revision '" + name + "' is the latest of service '" + previous.name()
                    + "': its definition runs it; PUT a new definition to make another revision first");
        }
        if (previous.referencedByTraffic(name)) {
            throw new RevisionInUseException("revision '" + name + "' " + use(previous, name)
                    + ": change the traffic first (PUT /serviceDefinitions/" + previous.name() + "/traffic)");
        }
        List<Revision> gone = List.of(revision);
        return new ServiceChange(ServiceChange.Kind.DELETE_REVISION, previous, without(previous, gone), null, gone);
    }

    /** Deletes the service with all of its revisions. */
    static ServiceChange delete(RegisteredService previous) {
        return new ServiceChange(ServiceChange.Kind.DELETE, previous, null, null, List.of());
    }

    /**
     * Marks the change's time as last served for every revision that had a percent before or has one after. The
     * times of one service only grow, one millisecond at least per change, so they order its changes even when
     * two fall into the same millisecond or the clock steps back.
     */
    private static RegisteredService served(RegisteredService previous, RegisteredService current, Instant now) {
        if (previous != null && previous.traffic().equals(current.traffic())) {
            return current;
        }
        Map<String, Instant> lastServed = new HashMap<>(current.lastServed());
        Instant at = now;
        for (Instant earlier : lastServed.values()) {
            if (!earlier.isBefore(at)) {
                at = earlier.plusMillis(1);
            }
        }
        List<ResolvedTraffic.Share> shares = new ArrayList<>(current.traffic().shares());
        if (previous != null) {
            shares.addAll(previous.traffic().shares());
        }
        for (ResolvedTraffic.Share share : shares) {
            lastServed.put(share.revision().name(), at);
        }
        return new RegisteredService(current.definition(), current.revisions(), lastServed);
    }

    private static RegisteredService without(RegisteredService service, List<Revision> gone) {
        List<Revision> kept = new ArrayList<>(service.revisions());
        kept.removeAll(gone);
        return new RegisteredService(service.definition(), kept, service.lastServed());
    }

    /** What the traffic gives {@code revision}, for the message of a refused delete. */
    private static String use(RegisteredService service, String revision) {
        StringJoiner uses = new StringJoiner(" and ");
        int percent = service.traffic().percentOf(revision);
        if (percent > 0) {
            uses.add("has " + percent + "% of the traffic");
        }
        List<String> tags = service.traffic().tagsOf(revision);
        if (!tags.isEmpty()) {
            uses.add("has the tag" + (tags.size() > 1 ? "s " : " ") + String.join(", ", tags));
        }
        return uses.length() == 0 ? "is named by the traffic" : uses.toString();
    }
}
