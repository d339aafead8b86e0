package dev.normclock.backend;

/**
 * How a backend sizes a population's workspace: how many models share one, and how many test rows
 * an evaluation pass takes. A memory plan sizes a population with it before any backend is open
 * ({@link #CPU}, {@link #GPU}); each backend sizes its populations with one of them.
 */
public interface WorkspaceSizing {
    /** Models a population steps at once, sharing one workspace. */
    int workspaceModels(int models);

    /**
     * Rows of an evaluation pass (test rows per model at once) for a population whose pass over all
     * {@code rows} would take {@code bytesPerRow} of workspace per row for all its models.
     */
    int evaluationRows(int block, int rows, long bytesPerRow);

    /**
     * A CPU keeps groups of {@link Backend#CPU_WORKSPACE_MODELS} models and evaluation blocks of
     * {@code block} rows, which stay in cache and bound memory whatever the population's size.
     */
    WorkspaceSizing CPU = new WorkspaceSizing() {
        @Override
        public int workspaceModels(int models) {
            return Math.min(models, Backend.CPU_WORKSPACE_MODELS);
        }

        @Override
        public int evaluationRows(int block, int rows, long bytesPerRow) {
            return Math.min(block, rows);
        }
    };

    /**
     * A GPU takes the whole population in one workspace — every kernel and GEMM over all models in
     * one launch — and every test row in one pass, as far as 1 GiB of workspace allows.
     */
    WorkspaceSizing GPU = new WorkspaceSizing() {
        @Override
        public int workspaceModels(int models) {
            return models;
        }

        @Override
        public int evaluationRows(int block, int rows, long bytesPerRow) {
            long fits = (1L << 30) / Math.max(1, bytesPerRow);
            return (int) Math.max(Math.min(block, rows), Math.min(rows, fits));
        }
    };
}
