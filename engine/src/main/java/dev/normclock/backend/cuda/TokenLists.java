package dev.normclock.backend.cuda;

/**
 * For each listed model, its training examples grouped by token, in ascending order within each
 * group: first by a (rows t of the first-layer table Pa), then by b (Pb). nc_hidden_backward gives
 * one thread to each (model, table row, column), and the thread sums exactly its row's examples,
 * in the order the CPU's scatter adds them.
 *
 * @param start    per model 2p + 1 offsets into its part of {@code examples}: row t (t &lt; 2p) is
 *                 examples[j·2n + start[j·(2p+1) + t] ...  + start[j·(2p+1) + t + 1])
 * @param examples per model 2n example indices
 */
record TokenLists(int[] start, int[] examples) {

    static TokenLists of(int[][] pairs, int p, int[] models, int n) {
        int rows = 2 * p;
        int[] start = new int[models.length * (rows + 1)], examples = new int[models.length * 2 * n];
        int[] fill = new int[rows];
        for (int j = 0; j < models.length; j++) {
            int[] pr = pairs[models[j]];
            if (pr.length != n) throw new IllegalArgumentException("every model of a call needs " + n + " examples, slot " + models[j] + " has " + pr.length);
            int s = j * (rows + 1);
            java.util.Arrays.fill(start, s, s + rows + 1, 0);
            for (int pair : pr) {
                start[s + pair / p + 1]++;
                start[s + p + pair % p + 1]++;
            }
            for (int t = 0; t < rows; t++) start[s + t + 1] += start[s + t];
            for (int t = 0; t < rows; t++) fill[t] = start[s + t];
            int base = j * 2 * n;
            for (int i = 0; i < n; i++) {
                examples[base + fill[pr[i] / p]++] = i;
                examples[base + fill[p + pr[i] % p]++] = i;
            }
        }
        return new TokenLists(start, examples);
    }
}
