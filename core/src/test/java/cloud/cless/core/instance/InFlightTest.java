package cloud.cless.core.instance;

import static org.assertj.core.api.Assertions.assertThat;

import cloud.cless.core.service.ContainerTemplate;
import java.util.Map;
import org.junit.jupiter.api.Test;

class InFlightTest {
    private final Instance instance = new Instance("i1", "hello", "hello-00001",
            new ContainerTemplate("cless-test/hello:latest", 8080, Map.of(), null, null), 0);

    @Test
    void leasesAreBoundedByConcurrency() {
        InFlight epoch = new InFlight(instance, 0);

        assertThat(epoch.tryAcquire(2)).isTrue();
        assertThat(epoch.tryAcquire(2)).isTrue();
        assertThat(epoch.tryAcquire(2)).as("at concurrency").isFalse();
        assertThat(epoch.count()).isEqualTo(2);
        assertThat(epoch.release()).isFalse();
        assertThat(epoch.tryAcquire(2)).isTrue();
        assertThat(epoch.tryAcquire(0)).as("0 is no limit").isTrue();
        assertThat(epoch.load()).isEqualTo(3);
    }

    @Test
    void aLeaseTakenFirstMakesTheIdleCloseFail() {
        InFlight epoch = new InFlight(instance, 0);

        assertThat(epoch.tryAcquire(0)).isTrue();

        assertThat(epoch.closeIfIdle()).isFalse();
        assertThat(epoch.isClosed()).isFalse();
    }

    @Test
    void anIdleCloseTakenFirstMakesEveryLaterLeaseFail() {
        InFlight epoch = new InFlight(instance, 0);

        assertThat(epoch.closeIfIdle()).isTrue();

        assertThat(epoch.tryAcquire(0)).isFalse();
        assertThat(epoch.load()).as("placement sees it closed").isEqualTo(-1);
        assertThat(epoch.closeIfIdle()).isFalse();
    }

    @Test
    void reopeningUndoesAnIdleClose() {
        InFlight epoch = new InFlight(instance, 0);
        epoch.closeIfIdle();

        epoch.reopen();

        assertThat(epoch.tryAcquire(1)).isTrue();
    }

    @Test
    void closingABusyEpochTellsTheLastReleaseOnly() {
        InFlight epoch = new InFlight(instance, 2);

        assertThat(epoch.close()).as("in flight at the close").isEqualTo(2);
        assertThat(epoch.close()).as("closed before").isEqualTo(-1);
        assertThat(epoch.tryAcquire(0)).isFalse();
        assertThat(epoch.release()).isFalse();
        assertThat(epoch.release()).as("the last one out").isTrue();
        assertThat(epoch.count()).isZero();
    }

    @Test
    void closingAnIdleEpochSaysNothingIsInFlight() {
        assertThat(new InFlight(instance, 0).close()).isZero();
    }
}
