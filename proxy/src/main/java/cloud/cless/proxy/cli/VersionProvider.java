package cloud.cless.proxy.cli;

import picocli.CommandLine.IVersionProvider;

/** Reads the version from the jar manifest. */
public final class VersionProvider implements IVersionProvider {
    @Override
    public String[] getVersion() {
        String version = ClessMain.class.getPackage().getImplementationVersion();
        return new String[] {"cless " + (version == null ? "(development build)" : version)};
    }
}
