package dev.normclock.backend;

/**
 * Everything a population measures, kept where the backend computes and read by the host in one
 * copy when it asks — at an evaluation —: per slot the training rows' loss totals (a step's
 * forward pass, or a measurement), the test rows' (an evaluation), and each parameter tensor's
 * Σ W² as of the last {@link Backend#sumSquares(Tensor[], Readout, int[])}. On the CPU it is host
 * arrays and reading costs nothing ({@link #host}); on a GPU one record per slot in device memory.
 */
public abstract class Readout implements AutoCloseable {
    public final LossTotals train, test;
    /** Per slot and parameter tensor, after {@link #read}: Σ W² in double. */
    public final double[][] squares;

    protected Readout(LossTotals train, LossTotals test, int models, int tensors) {
        this.train = train;
        this.test = test;
        this.squares = new double[models][tensors];
    }

    /** A readout in host arrays, for the backends that compute on the host. */
    public static Readout host(int models, int tensors) {
        return new Readout(new HostLossTotals(models), new HostLossTotals(models), models, tensors) {
            @Override
            public void read(int[] models) {
                // computed here: always current
            }
        };
    }

    public int models() {
        return squares.length;
    }

    public int tensors() {
        return squares.length == 0 ? 0 : squares[0].length;
    }

    /** Brings the listed models' totals and squares into the arrays: on a device, one copy back and a wait for it. */
    public abstract void read(int[] models);

    @Override
    public void close() {
    }
}
