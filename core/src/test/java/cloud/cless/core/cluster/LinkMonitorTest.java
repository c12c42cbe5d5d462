package cloud.cless.core.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;

class LinkMonitorTest {

    @Test
    void anOutageKeepsItsStartAndTheLatestReason() {
        Instant start = Instant.parse("2026-01-01T00:00:00Z");
        MovingClock clock = new MovingClock(start);
        LinkMonitor monitor = new LinkMonitor("test", "db", clock);
        assertThat(monitor.current()).isEqualTo(new DatabaseLink(false, start, "not connected yet"));

        clock.now = start.plusSeconds(1);
        monitor.reached();
        assertThat(monitor.current()).isEqualTo(new DatabaseLink(true, start.plusSeconds(1), null));

        clock.now = start.plusSeconds(2);
        monitor.failed(new SQLException("Connection refused", "08001"));
        clock.now = start.plusSeconds(3);
        monitor.failed(new SQLException("the database system is starting up", "57P03"));
        assertThat(monitor.current()).isEqualTo(
                new DatabaseLink(false, start.plusSeconds(2), "the database system is starting up"));
    }

    @Test
    void anErrorTheDatabaseAnsweredWithMeansItIsUp() {
        LinkMonitor monitor = new LinkMonitor("test", "db", Clock.systemUTC());
        monitor.failed(new SQLException("duplicate key value violates unique constraint", "23505"));
        assertThat(monitor.current().up()).isTrue();
    }

    @Test
    void combinedLinksAreDownWhenAnyIs() {
        Instant t = Instant.parse("2026-01-01T00:00:00Z");
        DatabaseLink upEarly = new DatabaseLink(true, t, null);
        DatabaseLink upLate = new DatabaseLink(true, t.plusSeconds(5), null);
        DatabaseLink downLate = new DatabaseLink(false, t.plusSeconds(9), "refused");
        DatabaseLink downEarly = new DatabaseLink(false, t.plusSeconds(7), "refused");
        assertThat(DatabaseLink.combined(List.of(upEarly, upLate))).isEqualTo(upLate);
        assertThat(DatabaseLink.combined(List.of(upEarly, downLate, downEarly, upLate))).isEqualTo(downEarly);
    }

    private static final class MovingClock extends Clock {
        Instant now;

        MovingClock(Instant now) {
            this.now = now;
        }

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }
}
