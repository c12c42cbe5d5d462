package cloud.cless.core.instance;

import cloud.cless.core.runtime.ContainerState;
import cloud.cless.core.runtime.ManagedContainer;
import cloud.cless.core.service.ContainerTemplate;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * The instances of one revision's pool and the changes of one instance's state: opening and closing its epoch,
 * draining, removing. It keeps the snapshot of the instances that take leases now, which requests read without the
 * pool's lock; everything else is guarded by the {@link ServicePool}'s lock.
 */
final class PoolInstances {
    private static final Instance[] NONE = new Instance[0];

    private final String service;
    private final String revision;
    private final ContainerTemplate template;
    private final List<Instance> all = new ArrayList<>();
    /** Ready instances with an open epoch: where a lease may go without the lock. */
    private volatile Instance[] ready = NONE;

    /** The instances of {@code revision} of {@code service}, each a container made from {@code template}. */
    PoolInstances(String service, String revision, ContainerTemplate template) {
        this.service = service;
        this.revision = revision;
        this.template = template;
    }

    Instance[] ready() {
        return ready;
    }

    /** Every instance, in the order they came; a copy, so callers may remove while they walk it. */
    List<Instance> all() {
        return List.copyOf(all);
    }

    boolean isEmpty() {
        return all.isEmpty();
    }

    /** A new instance, starting. */
    Instance start(String id, long nowMillis) {
        Instance instance = new Instance(id, service, revision, template, nowMillis);
        all.add(instance);
        return instance;
    }

    /** Tracks a container left from an earlier run: running, as an instance coming up (probed); paused, as paused. */
    Instance adopt(ManagedContainer container, long nowMillis) {
        Instance instance = new Instance(container.instanceId(), service, revision, template, nowMillis);
        instance.containerId = container.id();
        instance.hostPort = container.hostPort();
        instance.settled.complete(null);
        if (container.state() == ContainerState.PAUSED) {
            instance.state = InstanceState.PAUSED;
            instance.readyAtMillis = nowMillis;
        }
        all.add(instance);
        return instance;
    }

    /**
     * Tracks an instance the engine runs at {@code address} that nobody here started (one a restarted cless finds,
     * one another replica or the engine itself brought up): coming up, to be probed.
     */
    Instance adoptAt(String id, InetSocketAddress address, String containerId, long nowMillis) {
        Instance instance = new Instance(id, service, revision, template, nowMillis);
        instance.containerId = containerId;
        instance.bindTo(address);
        instance.settled.complete(null);
        all.add(instance);
        return instance;
    }

    /** {@code instance} is up: it takes leases in a new epoch, its waiters' first. */
    void open(Instance instance, long nowMillis, Effects fx) {
        if (instance.readyAtMillis < 0) {
            instance.readyAtMillis = nowMillis;
        }
        instance.lastActivityMillis = nowMillis;
        InFlight epoch = new InFlight(instance, instance.waiters.size());
        instance.epoch = epoch;
        instance.state = InstanceState.READY;
        long nowNanos = System.nanoTime();
        for (Waiter waiter : instance.waiters) {
            fx.grant(waiter, epoch, TimeUnit.NANOSECONDS.toMillis(nowNanos - waiter.joinedAtNanos));
        }
        instance.waiters.clear();
    }

    /** No new leases for {@code instance}: its epoch closes, holders of idle connections are told. */
    void closeEpoch(Instance instance, Effects fx) {
        InFlight epoch = instance.epoch;
        if (epoch != null && epoch.close() >= 0) {
            fx.closedEpochs.add(epoch);
        }
    }

    /** No new leases for {@code instance}; it goes once what it serves (or its engine call in flight) is done. */
    void drain(Instance instance, String reason, Effects fx) {
        if (instance.drainRequested) {
            return;
        }
        instance.drainRequested = true;
        switch (instance.state) {
            case PAUSED -> remove(instance, false, reason, fx); // frozen and without requests: nothing to wait for
            case READY -> {
                InFlight epoch = instance.epoch;
                int inFlight = epoch == null ? 0 : epoch.close();
                if (inFlight >= 0 && epoch != null) {
                    fx.closedEpochs.add(epoch);
                }
                if (inFlight <= 0) {
                    remove(instance, true, reason, fx);
                } else {
                    instance.state = InstanceState.DRAINING;
                }
            }
            default -> {
                // Coming up: decided when its engine call ends. Draining or stopping: under way.
            }
        }
    }

    /**
     * Stops tracking {@code instance} and retires it (a stop first when {@code graceful}); returns the requests that
     * were still waiting for it, for the caller to place elsewhere.
     */
    List<Waiter> remove(Instance instance, boolean graceful, String reason, Effects fx) {
        return remove(instance, graceful, reason, false, fx);
    }

    /** As {@link #remove(Instance, boolean, String, Effects)}; {@code reaped} when it goes because it is idle. */
    List<Waiter> remove(Instance instance, boolean graceful, String reason, boolean reaped, Effects fx) {
        if (!all.remove(instance)) {
            return List.of();
        }
        // A paused container cannot act on a stop signal: it is removed by force.
        boolean frozen = instance.state == InstanceState.PAUSED || instance.state == InstanceState.PAUSING;
        instance.state = InstanceState.STOPPING;
        fx.retire(instance, graceful && !frozen, reason, reaped);
        List<Waiter> waiting = List.copyOf(instance.waiters);
        instance.waiters.clear();
        return waiting;
    }

    boolean contains(Instance instance) {
        return all.contains(instance);
    }

    /**
     * Carries out the idle part of a {@link ScalingPolicy.Decision} taken on the snapshot {@code serving} /
     * {@code loads}: each idle instance's epoch is closed by a compare-and-set from idle, which a lock-free lease
     * either won before (the instance is busy) or can no longer win. Returns the instances to stop; those to pause
     * are {@code PAUSING} already.
     */
    List<Instance> claimIdle(ScalingPolicy.Decision decision, List<Instance> serving, List<ScalingPolicy.Load> loads,
                             Effects fx) {
        List<Instance> stop = new ArrayList<>();
        for (int index : decision.idle()) {
            Instance idle = serving.get(index);
            InFlight epoch = idle.epoch;
            if (epoch == null || !epoch.closeIfIdle()) {
                continue; // a request took it meanwhile
            }
            if (idle.lastActivityMillis != loads.get(index).lastActivityMillis()) {
                epoch.reopen(); // a request came and went since the snapshot: not idle after all
                continue;
            }
            fx.closedEpochs.add(epoch);
            if (decision.pause()) {
                idle.epoch = null;
                idle.state = InstanceState.PAUSING;
                fx.pauses.add(idle);
            } else {
                stop.add(idle);
            }
        }
        return stop;
    }

    /** Rebuilds the lock-free snapshot after a change of state or epoch. */
    void publish() {
        List<Instance> taking = new ArrayList<>(all.size());
        for (Instance instance : all) {
            InFlight epoch = instance.epoch;
            if (instance.state == InstanceState.READY && instance.servesNew() && epoch != null
                    && !epoch.isClosed()) {
                taking.add(instance);
            }
        }
        ready = taking.isEmpty() ? NONE : taking.toArray(NONE);
    }

    /** The instances that take requests now or once they are up: they count against the max. */
    List<Instance> serving() {
        List<Instance> serving = new ArrayList<>(all.size());
        for (Instance instance : all) {
            if (instance.servesNew()) {
                serving.add(instance);
            }
        }
        return serving;
    }

    /** Instances coming up: starting or resuming first, then those still pausing. */
    List<Instance> comingUp() {
        List<Instance> comingUp = new ArrayList<>();
        for (Instance instance : serving()) {
            if (instance.state == InstanceState.STARTING || instance.state == InstanceState.RESUMING) {
                comingUp.add(instance);
            }
        }
        for (Instance instance : serving()) {
            if (instance.state == InstanceState.PAUSING) {
                comingUp.add(instance);
            }
        }
        return comingUp;
    }

    /** A paused instance, or null. */
    Instance paused() {
        for (Instance instance : serving()) {
            if (instance.state == InstanceState.PAUSED) {
                return instance;
            }
        }
        return null;
    }

    /** The instances up before {@code listedAtMillis} whose containers that listing did not find up ({@code up}). */
    List<Instance> vanished(Predicate<String> up, long listedAtMillis) {
        List<Instance> vanished = new ArrayList<>();
        for (Instance instance : all) {
            if (!instance.comingUp() && instance.containerId != null && instance.readyAtMillis >= 0
                    && instance.readyAtMillis < listedAtMillis && !up.test(instance.containerId)) {
                vanished.add(instance);
            }
        }
        return vanished;
    }

    /** How the {@link ScalingPolicy} sees {@code serving}, in the same order. */
    static List<ScalingPolicy.Load> loads(List<Instance> serving) {
        List<ScalingPolicy.Load> loads = new ArrayList<>(serving.size());
        serving.forEach(i -> loads.add(new ScalingPolicy.Load(i.state, Math.max(0, i.load()), i.lastActivityMillis)));
        return loads;
    }

    /** The instance of that id, or null. */
    Instance byId(String id) {
        for (Instance instance : all) {
            if (id.equals(instance.id)) {
                return instance;
            }
        }
        return null;
    }

    Instance byContainer(String containerId) {
        for (Instance instance : all) {
            if (containerId.equals(instance.containerId)) {
                return instance;
            }
        }
        return null;
    }

    /** Whether an instance has {@code id} as its own id or its container's. */
    boolean knows(String id) {
        for (Instance instance : all) {
            if (id.equals(instance.id) || id.equals(instance.containerId)) {
                return true;
            }
        }
        return false;
    }

    int count(InstanceState state) {
        int count = 0;
        for (Instance instance : all) {
            if (instance.state == state) {
                count++;
            }
        }
        return count;
    }

    int inFlight() {
        int inFlight = 0;
        for (Instance instance : all) {
            InFlight epoch = instance.epoch;
            inFlight += epoch == null ? 0 : epoch.count();
        }
        return inFlight;
    }

    /**
     * The pool's activity with {@code queued} requests in its wait queue: requests leased or waiting for one of its
     * instances, and the latest activity of any; null when it has no instance (nothing to report).
     */
    PoolActivity activity(int queued) {
        if (all.isEmpty()) {
            return null;
        }
        int inFlight = queued;
        long last = Long.MIN_VALUE;
        for (Instance instance : all) {
            InFlight epoch = instance.epoch;
            inFlight += instance.waiters.size() + (epoch == null ? 0 : epoch.count());
            last = Math.max(last, instance.lastActivityMillis);
        }
        return new PoolActivity(inFlight, Instant.ofEpochMilli(last));
    }

    List<InstanceInfo> snapshot() {
        List<InstanceInfo> infos = new ArrayList<>(all.size());
        for (Instance instance : all) {
            infos.add(instance.info());
        }
        return infos;
    }
}
