package cloud.cless.core.service;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A service's traffic with {@code latest} resolved to a revision: each revision's share of the requests, which
 * revision each tag reaches, and the {@link RevisionChooser} that splits requests by the shares. Immutable.
 */
public final class ResolvedTraffic {
    /** The percents of a service's traffic add up to this. */
    public static final int ALL = 100;

    /** A revision's share of the requests; revisions named only with 0 percent have none. */
    public record Share(Revision revision, int percent) {
    }

    private final List<Share> shares;
    private final Map<String, Revision> tags;
    private final RevisionChooser chooser;

    private ResolvedTraffic(List<Share> shares, Map<String, Revision> tags) {
        this.shares = List.copyOf(shares);
        this.tags = Collections.unmodifiableMap(new LinkedHashMap<>(tags));
        this.chooser = new RevisionChooser(this.shares);
    }

    /**
     * Resolves valid traffic (see {@link TrafficRules}) against the service's revisions, oldest first; the last
     * one is the latest. Several entries for one revision add up.
     */
    public static ResolvedTraffic resolve(List<TrafficTarget> traffic, List<Revision> revisions) {
        if (revisions.isEmpty()) {
            throw new IllegalArgumentException("a service has at least one revision");
        }
        Revision latest = revisions.get(revisions.size() - 1);
        Map<String, Revision> byName = new LinkedHashMap<>();
        revisions.forEach(r -> byName.put(r.name(), r));
        Map<String, Integer> percents = new LinkedHashMap<>();
        Map<String, Revision> tags = new LinkedHashMap<>();
        for (TrafficTarget target : traffic) {
            Revision revision = target.latest() ? latest : byName.get(target.revision());
            if (revision == null) {
                throw new IllegalArgumentException("traffic names " + target.revision() + ", which "
                        + latest.service() + " does not have");
            }
            if (target.percent() > 0) {
                percents.merge(revision.name(), target.percent(), Integer::sum);
            }
            if (target.tag() != null) {
                tags.put(target.tag(), revision);
            }
        }
        List<Share> shares = new ArrayList<>(percents.size());
        percents.forEach((name, percent) -> shares.add(new Share(byName.get(name), percent)));
        return new ResolvedTraffic(shares, tags);
    }

    /** The revisions that get requests, each with its percent (above 0), in the order the traffic names them. */
    public List<Share> shares() {
        return shares;
    }

    /** Tag to the revision its host reaches, in the order the traffic names them. */
    public Map<String, Revision> tags() {
        return tags;
    }

    public RevisionChooser chooser() {
        return chooser;
    }

    /** The percent of the requests {@code revision} gets; 0 when none. */
    public int percentOf(String revision) {
        for (Share share : shares) {
            if (share.revision().name().equals(revision)) {
                return share.percent();
            }
        }
        return 0;
    }

    /** True when {@code revision} gets a share of the requests. */
    public boolean serves(String revision) {
        return percentOf(revision) > 0;
    }

    /** The tags that reach {@code revision}, in traffic order. */
    public List<String> tagsOf(String revision) {
        List<String> of = new ArrayList<>();
        tags.forEach((tag, r) -> {
            if (r.name().equals(revision)) {
                of.add(tag);
            }
        });
        return of;
    }

    /** Equal when the same revisions get the same percents and the same tags reach the same revisions. */
    @Override
    public boolean equals(Object o) {
        return o instanceof ResolvedTraffic other && shares.equals(other.shares) && tags.equals(other.tags);
    }

    @Override
    public int hashCode() {
        return Objects.hash(shares, tags);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        shares.forEach(s -> sb.append(sb.length() == 0 ? "" : ", ").append(s.revision().name()).append('=')
                .append(s.percent()).append('%'));
        tags.forEach((tag, r) -> sb.append(", ").append(tag).append("->").append(r.name()));
        return sb.toString();
    }
}
