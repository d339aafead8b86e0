package dev.normclock.cli;

import picocli.CommandLine.Option;

/** The sparse-parity task options that train and bench share (defaults: Paper A's task), for --model parity-mlp only. */
final class ParityOptions {
    /** The options' names, refused with a model of modular addition. */
    static final String[] NAMES = {"--parity-n", "--parity-k", "--parity-m", "--parity-test"};

    @Option(names = "--parity-n", paramLabel = "N", description = "Sparse parity: input bits. Default: ${DEFAULT-VALUE}.")
    int n = 30;
    @Option(names = "--parity-k", paramLabel = "K", description = "Sparse parity: relevant bits (drawn per seed). Default: ${DEFAULT-VALUE}.")
    int k = 3;
    @Option(names = "--parity-m", paramLabel = "M", description = "Sparse parity: training points. Default: ${DEFAULT-VALUE}.")
    int m = 1000;
    @Option(names = "--parity-test", paramLabel = "T", description = "Sparse parity: fresh test points. Default: ${DEFAULT-VALUE}.")
    int test = 2000;

    /** The task (its constructor refuses impossible sizes in one line). */
    dev.normclock.task.SparseParity task() {
        return new dev.normclock.task.SparseParity(n, k, m, test);
    }

    /** Refuses the parity options where the model learns modular addition. */
    static void refuseWith(picocli.CommandLine.ParseResult parsed) {
        for (String o : NAMES)
            if (parsed.hasMatchedOption(o)) throw new IllegalArgumentException(o + " applies to --model parity-mlp only");
    }
}
