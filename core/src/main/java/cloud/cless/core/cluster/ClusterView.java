package cloud.cless.core.cluster;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The replicas' reports at one moment, sorted out: live ones (reported within {@link ReportTiming#staleAfter()}),
 * stale ones (silent longer, but not yet {@link ReportTiming#deadAfter() dead}: their state is unknown), and the
 * load of each revision summed over the live ones. Dead replicas are left out.
 *
 * @param now the database's clock when the reports were read
 */
public record ClusterView(Instant now, List<ReplicaReport> live, List<ReplicaReport> stale,
                          Map<String, RevisionLoad> revisions) {

    public ClusterView {
        live = List.copyOf(live);
        stale = List.copyOf(stale);
        revisions = Map.copyOf(revisions);
    }

    /** Sorts {@code reports} out as of {@code now}; pure. */
    public static ClusterView of(Instant now, Collection<ReplicaReport> reports, ReportTiming timing) {
        List<ReplicaReport> live = new ArrayList<>();
        List<ReplicaReport> stale = new ArrayList<>();
        Map<String, RevisionLoad> revisions = new TreeMap<>();
        for (ReplicaReport report : reports) {
            var age = report.age(now);
            if (age.compareTo(timing.deadAfter()) >= 0) {
                continue;
            }
            if (age.compareTo(timing.staleAfter()) > 0) {
                stale.add(report);
                continue;
            }
            live.add(report);
            report.revisions().forEach((revision, activity) ->
                    revisions.merge(revision, RevisionLoad.of(activity), RevisionLoad::plus));
        }
        Comparator<ReplicaReport> byId = Comparator.comparing(ReplicaReport::id);
        live.sort(byId);
        stale.sort(byId);
        return new ClusterView(now, live, stale, revisions);
    }

    /** A live or stale replica's report. */
    public Optional<ReplicaReport> replica(String id) {
        return Stream.concat(live.stream(), stale.stream()).filter(r -> r.id().equals(id)).findFirst();
    }

    /** The revision's load over the live replicas; empty when none has it. */
    public Optional<RevisionLoad> revision(String revision) {
        return Optional.ofNullable(revisions.get(revision));
    }
}
