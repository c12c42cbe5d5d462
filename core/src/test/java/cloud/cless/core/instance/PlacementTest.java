package cloud.cless.core.instance;

import static org.assertj.core.api.Assertions.assertThat;

import cloud.cless.core.service.IdleAction;
import cloud.cless.core.service.ScalingSettings;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class PlacementTest {
    private record Candidate(String name, int load) {
    }

    private static ScalingSettings concurrency(int concurrency) {
        return new ScalingSettings(0, 3, concurrency, Duration.ofMinutes(5), IdleAction.STOP);
    }

    @Test
    void theLeastLoadedWithRoomWins() {
        Candidate[] ready = {new Candidate("a", 3), new Candidate("b", 1), new Candidate("c", 2)};

        assertThat(Placement.leastLoaded(ready, Candidate::load, concurrency(0))).extracting(Candidate::name)
                .isEqualTo("b");
    }

    @Test
    void fullAndClosedInstancesAreSkipped() {
        Candidate[] ready = {new Candidate("full", 2), new Candidate("closed", -1), new Candidate("room", 1)};

        assertThat(Placement.leastLoaded(ready, Candidate::load, concurrency(2))).extracting(Candidate::name)
                .isEqualTo("room");
        assertThat(Placement.leastLoaded(new Candidate[] {new Candidate("full", 2)}, Candidate::load,
                concurrency(2))).isNull();
        assertThat(Placement.leastLoaded(new Candidate[0], Candidate::load, concurrency(0))).isNull();
    }

    @Test
    void tiesGoToTheFirst() {
        Candidate[] ready = {new Candidate("a", 1), new Candidate("b", 1)};

        assertThat(Placement.leastLoaded(ready, Candidate::load, concurrency(0))).extracting(Candidate::name)
                .isEqualTo("a");
    }

    @Test
    void aStartIsSharedByAsManyWaitersAsOneInstanceTakes() {
        List<Candidate> comingUp = List.of(new Candidate("full", 2), new Candidate("room", 1));

        assertThat(Placement.comingUpWithRoom(comingUp, Candidate::load, concurrency(2)))
                .extracting(Candidate::name).isEqualTo("room");
        assertThat(Placement.comingUpWithRoom(List.of(new Candidate("full", 2)), Candidate::load, concurrency(2)))
                .isNull();
        assertThat(Placement.comingUpWithRoom(List.of(new Candidate("any", 500)), Candidate::load, concurrency(0)))
                .extracting(Candidate::name).isEqualTo("any");
    }
}
