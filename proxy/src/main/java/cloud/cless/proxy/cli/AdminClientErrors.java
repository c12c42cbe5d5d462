package cloud.cless.proxy.cli;

import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.ParseResult;

/** Turns a failed admin-API call into a clear message on the command's stderr and exit code 1; rethrows the rest. */
final class AdminClientErrors implements IExecutionExceptionHandler {
    @Override
    public int handleExecutionException(Exception e, CommandLine command, ParseResult parsed) throws Exception {
        if (!(e instanceof AdminClientException failure)) {
            throw e;
        }
        command.getErr().println(failure.render());
        command.getErr().flush();
        return 1;
    }
}
