package cloud.cless.core.runtime;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.ContainerPort;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.Ports;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One listing of every container on the engine, read into an {@link EngineSurvey}: this installation's containers,
 * and the host ports any container holds. A running container's published ports are in the listing; a created one
 * lists none, although it takes its bindings once started, so those are read from its configuration (once per
 * container: a container's bindings never change).
 */
final class DockerSurvey {
    private final Map<String, Set<Integer>> createdBindings = new ConcurrentHashMap<>();

    /** Lists and reads; blocks. */
    EngineSurvey take(DockerClient client, String installationId) {
        List<Container> all = client.listContainersCmd().withShowAll(true).exec();
        List<ManagedContainer> managed = new ArrayList<>();
        Set<Integer> taken = new HashSet<>();
        Set<String> listed = new HashSet<>();
        for (Container container : all) {
            listed.add(container.getId());
            Map<String, String> labels = container.getLabels() != null ? container.getLabels() : Map.of();
            boolean cless = "true".equals(labels.get(ContainerLabels.MANAGED));
            if (cless && installationId.equals(labels.get(ContainerLabels.INSTALLATION))) {
                managed.add(toManaged(container, labels));
            }
            if (cless && ContainerLabels.hostPort(labels) > 0) {
                taken.add(ContainerLabels.hostPort(labels)); // any installation's, whatever its state
            }
            if (container.getPorts() != null) {
                for (ContainerPort port : container.getPorts()) {
                    if (port.getPublicPort() != null) {
                        taken.add(port.getPublicPort());
                    }
                }
            }
            if (ContainerState.of(container.getState()) == ContainerState.CREATED && !cless) {
                taken.addAll(createdBindings.computeIfAbsent(container.getId(), id -> bindings(client, id)));
            }
        }
        createdBindings.keySet().retainAll(listed);
        return new EngineSurvey(managed, taken);
    }

    private static ManagedContainer toManaged(Container container, Map<String, String> labels) {
        String[] names = container.getNames();
        String name = names != null && names.length > 0 ? names[0] : "";
        if (name.startsWith("/")) {
            name = name.substring(1);
        }
        return new ManagedContainer(container.getId(), name, labels.get(ContainerLabels.SERVICE),
                labels.get(ContainerLabels.REVISION), labels.get(ContainerLabels.INSTANCE),
                ContainerLabels.hostPort(labels),
                ContainerState.of(container.getState()));
    }

    /** The host ports a created container is configured to publish. */
    private static Set<Integer> bindings(DockerClient client, String containerId) {
        HostConfig config;
        try {
            config = client.inspectContainerCmd(containerId).exec().getHostConfig();
        } catch (NotFoundException gone) {
            return Set.of();
        }
        Ports ports = config == null ? null : config.getPortBindings();
        if (ports == null || ports.getBindings() == null) {
            return Set.of();
        }
        Set<Integer> found = new HashSet<>();
        for (Ports.Binding[] bindings : ports.getBindings().values()) {
            if (bindings == null) {
                continue;
            }
            for (Ports.Binding binding : bindings) {
                int port = singlePort(binding.getHostPortSpec());
                if (port > 0) {
                    found.add(port);
                }
            }
        }
        return found;
    }

    private static int singlePort(String spec) {
        if (spec == null || spec.isBlank() || !spec.strip().chars().allMatch(Character::isDigit)) {
            return -1; // empty (a random port) or a range: nothing a fixed port can collide with up front
        }
        try {
            return Integer.parseInt(spec.strip());
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
