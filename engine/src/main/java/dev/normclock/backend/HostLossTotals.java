package dev.normclock.backend;

/**
 * {@link LossTotals} kept on the host, for backends that compute there: the loss calls write rows
 * into {@link #rowLoss}, {@link #rowCorrect} and {@link #rowScale} (per slot, reused), and
 * {@link #add} sums them in row order in double, so the totals are the same bits whatever the
 * thread count.
 */
public final class HostLossTotals extends LossTotals {
    public final float[][] rowLoss, rowScale;
    public final boolean[][] rowCorrect;

    public HostLossTotals(int models) {
        super(models);
        rowLoss = new float[models][];
        rowScale = new float[models][];
        rowCorrect = new boolean[models][];
    }

    /** Makes the listed models' row arrays hold at least n rows. */
    public void ensureRows(int[] models, int n) {
        for (int m : models) {
            if (rowLoss[m] != null && rowLoss[m].length >= n) continue;
            rowLoss[m] = new float[n];
            rowScale[m] = new float[n];
            rowCorrect[m] = new boolean[n];
        }
    }

    /**
     * Adds each listed model's first n rows to its totals; when {@code step} > 0 and their loss is
     * not finite, records the step (if none is recorded yet).
     */
    public void add(int[] models, int n, int step) {
        for (int m : models) {
            double sum = loss[m], norm = scale[m]; // continued in row order across calls: an evaluation's blocks add up as one pass
            long ok = 0, zero = 0;
            boolean finite = true;
            float[] l = rowLoss[m], s = rowScale[m];
            boolean[] c = rowCorrect[m];
            for (int i = 0; i < n; i++) {
                sum += l[i];
                norm += s[i];
                if (c[i]) ok++;
                if (l[i] == 0f) zero++;
                finite &= Float.isFinite(l[i]);
            }
            loss[m] = sum;
            scale[m] = norm;
            correct[m] += ok;
            collapsed[m] += zero;
            rows[m] += n;
            if (step > 0 && nonFiniteStep[m] == 0 && !finite) nonFiniteStep[m] = step;
        }
    }

    @Override
    public void clear(int[] models) {
        for (int m : models) {
            loss[m] = 0;
            scale[m] = 0;
            correct[m] = 0;
            collapsed[m] = 0;
            rows[m] = 0;
        }
    }
}
