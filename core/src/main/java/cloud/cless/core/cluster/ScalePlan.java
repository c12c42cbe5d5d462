package cloud.cless.core.cluster;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What the leader decided in one round, from the reports as of {@code at} (the database's clock).
 *
 * @param revisions one decision per revision the leader knows, by name
 * @param unreportedSince for each revision no live replica reports, since when the leader has seen it so (what
 *     the next round's {@link ScalePlanner#plan} takes)
 */
public record ScalePlan(Instant at, List<RevisionScale> revisions, Map<String, Instant> unreportedSince) {
    public ScalePlan {
        revisions = List.copyOf(revisions);
        unreportedSince = Map.copyOf(unreportedSince);
    }

    public Optional<RevisionScale> revision(String name) {
        return revisions.stream().filter(r -> r.revision().equals(name)).findFirst();
    }
}
