package cloud.cless.core.cluster;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Records what a leader election tells it: "gained" and "lost", in order. */
final class RecordingLeadership implements LeadershipListener {
    final List<String> events = new CopyOnWriteArrayList<>();

    @Override
    public void gained() {
        events.add("gained");
    }

    @Override
    public void lost() {
        events.add("lost");
    }
}
