package cloud.cless.core;

import java.nio.file.Path;

/** Another cless runs on this data directory: a second one would share its installation id and fight it. */
public class DataDirectoryInUseException extends IllegalStateException {
    private final Path directory;
    private final String holder;

    /** @param holder the process id written by the cless that holds the directory, or null when unknown */
    public DataDirectoryInUseException(Path directory, String holder) {
        super("data directory " + directory + " is in use by another cless ("
                + (holder == null ? "its process id is unknown" : "PID " + holder) + "); stop it first, or give this"
                + " one a data directory of its own with --data-dir");
        this.directory = directory;
        this.holder = holder;
    }

    public Path directory() {
        return directory;
    }

    /** The holder's process id as it wrote it, or null. */
    public String holder() {
        return holder;
    }
}
