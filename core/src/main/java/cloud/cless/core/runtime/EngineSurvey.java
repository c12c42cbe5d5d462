package cloud.cless.core.runtime;

import java.util.List;
import java.util.Set;

/**
 * What one listing of the engine found.
 *
 * @param managed    this installation's containers, in any state
 * @param takenPorts host ports that any container on the engine holds or will hold once started (published ports
 *                   of running ones, bindings of created ones), whoever made it: a bind check cannot see the ones
 *                   the engine publishes through iptables or has only reserved
 */
public record EngineSurvey(List<ManagedContainer> managed, Set<Integer> takenPorts) {

    public EngineSurvey {
        managed = List.copyOf(managed);
        takenPorts = Set.copyOf(takenPorts);
    }
}
