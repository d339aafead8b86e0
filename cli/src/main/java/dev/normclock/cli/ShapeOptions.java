package dev.normclock.cli;

import picocli.CommandLine.Option;

/** The task and model size options that train and bench share (defaults: the paper's cell). */
final class ShapeOptions {
    @Option(names = "--p", paramLabel = "P", description = "Modulus p (>= 2). Default: ${DEFAULT-VALUE}.")
    int p = 59;
    @Option(names = "--train-frac", paramLabel = "F", description = "Training fraction f in (0, 1); round(f*p^2) pairs train. Default: ${DEFAULT-VALUE}.")
    double trainFrac = 0.4;
    @Option(names = "--width", paramLabel = "D", description = "Embedding width d. Default: ${DEFAULT-VALUE}.")
    int width = 128;
    @Option(names = "--hidden", paramLabel = "H", description = "Hidden width H. Default: ${DEFAULT-VALUE}.")
    int hidden = 256;
}
