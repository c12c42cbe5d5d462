package cloud.cless.core.instance;

import cloud.cless.core.runtime.RuntimeFailure;
import cloud.cless.core.runtime.swarm.SwarmRevisions;
import cloud.cless.core.runtime.swarm.TaskReport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the polls of a swarm's tasks report, handed to the parts it concerns (the swarm's counterpart of
 * {@link EngineReports}): a running task to the starts, which a waiting start takes or which is adopted into its
 * revision's pool (made for it when the revision serves); a task Swarm takes down to the pools of its revision, where
 * it drains; a task that ended to those pools, where it goes (its start fails, if it was coming up), and to the
 * starts still waiting for one; a task that failed before it ran to the starts of its revision.
 */
final class TaskReports implements SwarmRevisions.Listener {
    private static final Logger log = LoggerFactory.getLogger(TaskReports.class);

    private final Pools pools;
    private volatile SwarmStarts starts;
    private volatile RetiredServices services;
    private volatile EffectRunner runner;
    private volatile boolean closed;

    TaskReports(Pools pools) {
        this.pools = pools;
    }

    /** The parts made after the swarm's client (which reports here from its first poll on). */
    void attach(SwarmStarts starts, RetiredServices services) {
        this.starts = starts;
        this.services = services;
    }

    /** Reports are acted on from now on (before, nothing was reconciled, and none is asked for). */
    void actOn(EffectRunner effects) {
        this.runner = effects;
    }

    void close() {
        closed = true;
    }

    @Override
    public void report(TaskReport report) {
        EffectRunner effects = runner;
        if (closed || effects == null) {
            return;
        }
        String revision = report.revision();
        switch (report.kind()) {
            case RUNNING -> {
                String service = services.serviceOf(revision);
                ServicePool pool = service == null ? pools.get(revision) : pools.getOrCreate(service, revision);
                if (pool != null) {
                    starts.running(pool, report, effects);
                }
            }
            case DRAINING -> {
                for (ServicePool pool : pools.of(revision)) {
                    effects.decide(pool, fx -> pool.leaving(report.instanceId(), fx));
                }
            }
            case GONE -> {
                starts.taskGone(revision);
                for (ServicePool pool : pools.of(revision)) {
                    Instance[] gone = new Instance[1];
                    effects.decide(pool, fx -> gone[0] = pool.gone(report.instanceId(), fx));
                    if (gone[0] != null && gone[0].exited) {
                        starts.exited(gone[0]);
                    }
                }
            }
            case FAILED -> starts.failed(revision, report.failure());
            case STARTING -> log.debug("Task {} of revision {} is starting", report.instanceId(), revision);
        }
    }

    @Override
    public void engine(RuntimeFailure down) {
        // SwarmRevisions logs it; starts read the manager's health when they begin.
    }
}
