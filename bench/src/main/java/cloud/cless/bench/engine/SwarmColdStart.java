package cloud.cless.bench.engine;

import cloud.cless.core.runtime.swarm.SwarmClient;
import cloud.cless.core.runtime.swarm.SwarmServiceSpec;
import cloud.cless.core.runtime.swarm.SwarmTask;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Swarm's cold start as cless's swarm runtime will see it, through core's {@link SwarmClient}: per cycle, scale a
 * service from 0 to 1 replica, poll its tasks until one runs with a published port, poll that task (node address +
 * published port) on the readiness probe's schedule until it answers 200, then scale back to 0 and wait until the
 * task is gone. The service is created once, with replicas 0, and removed at the end.
 *
 * <p>Prints one tab-separated line per measured cycle on stdout (times in ms, from the start of the scale call)
 * and the medians on stderr.
 */
@Command(name = "swarm-coldstart", mixinStandardHelpOptions = true,
        description = "Times scale 0->1 to a running task and to its first 200 on a Swarm manager.")
public final class SwarmColdStart implements Callable<Integer> {
    @Option(names = "--docker-host", required = true, description = "The Swarm manager's engine.")
    String dockerHost;

    @Option(names = "--image", required = true, description = "Image to run; it answers GET / with 200.")
    String image;

    @Option(names = "--port", defaultValue = "8080", description = "Port the app listens on in the container.")
    int containerPort;

    @Option(names = "--revision", defaultValue = "bench-coldstart-00001",
            description = "Revision name: the service is cless-<revision>.")
    String revision;

    @Option(names = "--constraint", description = "Placement constraint, e.g. node.hostname==lab-n2 (repeatable).")
    List<String> constraints = new ArrayList<>();

    @Option(names = "--cycles", defaultValue = "10", description = "Measured cycles.")
    int cycles;

    @Option(names = "--warmup-cycles", defaultValue = "1", description = "Cycles run first and not reported.")
    int warmupCycles;

    @Option(names = "--task-poll-ms", defaultValue = "10",
            description = "Interval between task listings while the start is pending.")
    long taskPollMillis;

    @Option(names = "--attempt-timeout-ms", defaultValue = "2000", description = "Bound on one HTTP attempt.")
    int attemptTimeoutMillis;

    @Option(names = "--timeout-ms", defaultValue = "60000", description = "Give up a cycle after this long.")
    long timeoutMillis;

    public static void main(String[] args) {
        System.setProperty("slf4j.internal.verbosity", "ERROR");
        System.exit(new CommandLine(new SwarmColdStart()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        ProbeSchedule schedule = ProbeSchedule.ofReadinessProbe();
        FirstResponsePoller poller = new FirstResponsePoller(schedule, attemptTimeoutMillis);
        System.err.printf(Locale.ROOT, "swarm-coldstart: tasks polled every %d ms; HTTP polled from %d ms backing off"
                + " to %d ms (%s)%n", taskPollMillis, schedule.firstRetryMillis(), schedule.maxRetryMillis(),
                schedule.source());
        ExecutorService executor = Executors.newFixedThreadPool(2);
        SwarmServiceSpec spec = new SwarmServiceSpec("bench", revision, "bench-swarm-lab", image, containerPort,
                Map.of(), null, null, 0, Duration.ofSeconds(1), constraints);
        try (SwarmClient swarm = new SwarmClient(dockerHost, executor, SwarmClient.DEFAULT_CALL_TIMEOUT)) {
            String name = spec.name();
            swarm.removeService(name).get();
            swarm.createService(spec).get();
            Thread cleanup = new Thread(() -> swarm.removeService(name).join(), "swarm-coldstart-cleanup");
            Runtime.getRuntime().addShutdownHook(cleanup);
            try {
                List<Cycle> measured = new ArrayList<>();
                PrintStream out = System.out;
                out.println("#scale_call_ms\ttask_running_ms\tfirst_200_ms\ttask_polls\thttp_attempts");
                for (int i = 0; i < warmupCycles + cycles; i++) {
                    Cycle cycle = cycle(swarm, name, poller);
                    if (i >= warmupCycles) {
                        measured.add(cycle);
                        out.printf(Locale.ROOT, "%.1f\t%.1f\t%.1f\t%d\t%d%n", cycle.scaleMillis(), cycle.runningMillis(),
                                cycle.okMillis(), cycle.taskPolls(), cycle.httpAttempts());
                        out.flush();
                    }
                }
                System.err.printf(Locale.ROOT, "swarm-coldstart: %d cycles, medians: scale call %.1f ms, task running"
                                + " %.1f ms, first 200 %.1f ms%n", measured.size(),
                        EngineColdStart.median(measured.stream().mapToDouble(Cycle::scaleMillis).toArray()),
                        EngineColdStart.median(measured.stream().mapToDouble(Cycle::runningMillis).toArray()),
                        EngineColdStart.median(measured.stream().mapToDouble(Cycle::okMillis).toArray()));
            } finally {
                swarm.removeService(name).get();
                Runtime.getRuntime().removeShutdownHook(cleanup);
            }
        } finally {
            executor.shutdownNow();
        }
        return 0;
    }

    private Cycle cycle(SwarmClient swarm, String name, FirstResponsePoller poller) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        long t0 = System.nanoTime();
        swarm.setReplicas(name, 1).get();
        long t1 = System.nanoTime();
        int polls = 0;
        SwarmTask running = null;
        while (running == null) {
            polls++;
            running = swarm.tasks(name).get().stream()
                    .filter(task -> task.isRunning() && task.address().isPresent())
                    .findFirst().orElse(null);
            if (running == null) {
                pauseUntil(deadline, name);
            }
        }
        long t2 = System.nanoTime();
        InetSocketAddress address = running.address().orElseThrow();
        int attempts = poller.awaitOk(address, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
        long t3 = System.nanoTime();
        swarm.setReplicas(name, 0).get();
        // The next cycle starts from nothing: no task still wanted, and the last one's container stopped.
        String taskId = running.id();
        while (true) {
            List<SwarmTask> tasks = swarm.tasks(name).get();
            Optional<SwarmTask> last = tasks.stream().filter(task -> task.id().equals(taskId)).findFirst();
            boolean stopped = last.isEmpty() || last.get().state().isTerminal();
            if (stopped && tasks.stream().noneMatch(SwarmTask::isWanted)) {
                break;
            }
            pauseUntil(deadline, name);
        }
        return new Cycle(millis(t1 - t0), millis(t2 - t0), millis(t3 - t0), polls, attempts);
    }

    private void pauseUntil(long deadline, String name) throws TimeoutException {
        if (System.nanoTime() > deadline) {
            throw new TimeoutException("swarm service " + name + " did not get there within " + timeoutMillis + " ms");
        }
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(taskPollMillis));
    }

    private static double millis(long nanos) {
        return nanos / 1e6;
    }

    /** One measured cycle. */
    record Cycle(double scaleMillis, double runningMillis, double okMillis, int taskPolls, int httpAttempts) {
    }
}
