package cloud.cless.core.cluster;

import cloud.cless.core.store.PostgresEndpoint;
import cloud.cless.core.store.PostgresTimeouts;
import java.time.Clock;
import java.time.Duration;

/**
 * A replica in a process of its own, for the test that SIGKILLs a leader: takes part in the election and prints
 * {@code LEADER} once it leads, then waits to be killed. Arguments: JDBC URL, password, replica id.
 */
public final class LeaderElectionChild {
    private LeaderElectionChild() {
    }

    public static void main(String[] args) throws InterruptedException {
        PostgresEndpoint endpoint = PostgresEndpoint.of(args[0], args[1], args[2], PostgresTimeouts.DEFAULTS);
        LeaderElection election = new LeaderElection(endpoint, Duration.ofMillis(500), Backoff.DEFAULT,
                Clock.systemUTC());
        election.subscribe(new LeadershipListener() {
            @Override
            public void gained() {
                System.out.println("LEADER");
                System.out.flush();
            }

            @Override
            public void lost() {
                System.out.println("LOST");
                System.out.flush();
            }
        });
        election.start();
        Thread.sleep(Long.MAX_VALUE);
    }
}
