package cloud.cless.core;

import java.nio.file.Path;

/** Holds the data directory given as the argument until killed: the other process of a lock test. */
public final class DataDirectoryHolder {

    private DataDirectoryHolder() {
    }

    public static void main(String[] args) throws InterruptedException {
        DataDirectoryLock lock = new DataDirectory(Path.of(args[0])).lock();
        System.out.println("locked");
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
        lock.close();
    }
}
