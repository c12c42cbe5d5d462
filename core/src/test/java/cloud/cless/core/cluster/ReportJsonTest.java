package cloud.cless.core.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ReportJsonTest {
    private static final Instant REPLICA_NOW = Instant.parse("2026-01-01T12:00:00Z");
    // The database's clock runs 40 s ahead of the replica's: times are carried as idle durations.
    private static final Instant DATABASE_NOW = REPLICA_NOW.plusSeconds(40);

    @Test
    void carriesIdleTimeOntoTheDatabasesClock() {
        String json = ReportJson.write(Map.of(
                "a-1", new RevisionActivity(0, REPLICA_NOW.minusMillis(1500)),
                "b-1", new RevisionActivity(3, REPLICA_NOW.minusSeconds(60))), REPLICA_NOW);
        assertThat(json).contains("\"a-1\":{\"in_flight\":0,\"idle_ms\":1500}")
                .contains("\"b-1\":{\"in_flight\":3,\"idle_ms\":0}");
        assertThat(ReportJson.read(json, DATABASE_NOW)).isEqualTo(Map.of(
                "a-1", new RevisionActivity(0, DATABASE_NOW.minusMillis(1500)),
                "b-1", new RevisionActivity(3, DATABASE_NOW)));
    }

    @Test
    void toleratesFieldsItDoesNotKnowAndRefusesWhatIsNotJson() {
        assertThat(ReportJson.read("{\"a-1\":{\"in_flight\":1,\"idle_ms\":0,\"later\":true}}", DATABASE_NOW))
                .containsEntry("a-1", new RevisionActivity(1, DATABASE_NOW));
        assertThatThrownBy(() -> ReportJson.read("{", DATABASE_NOW)).isInstanceOf(IllegalArgumentException.class);
    }
}
