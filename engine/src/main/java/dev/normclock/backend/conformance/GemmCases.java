package dev.normclock.backend.conformance;

import java.util.List;

/** The GEMM and the transpose. */
final class GemmCases {
    private GemmCases() {
    }

    private static final String GEMM_RULE = "|err| ≤ 1e-5·(Σ_k |op(A)_ik·B_kj| + |C0_ij| when accumulating)";

    /** One product's shape: C is m×n, K = k of A's extent (its columns, or its rows when transposed), B has extent rows. */
    private record Shape(int m, int n, int k, int extent) {
        Shape(int m, int n, int k) {
            this(m, n, k, k);
        }
    }

    static List<Case> cases() {
        return List.of(
                matmul("matmul C = A·B", false, false, new Shape(130, 48, 64), new Shape(3, 20, 9), new Shape(37, 5, 256)),
                matmul("matmul C += A·B", false, true, new Shape(75, 13, 37), new Shape(41, 41, 7)),
                matmul("matmul C = Aᵀ·B", true, false, new Shape(7, 70, 256), new Shape(41, 37, 75)),
                matmul("matmul C += Aᵀ·B", true, true, new Shape(24, 11, 73)),
                matmul("matmul, K short of A's extent", false, false, new Shape(41, 23, 30, 37), new Shape(9, 17, 1, 20)),
                matmul("matmul Aᵀ, K short of A's extent", true, false, new Shape(19, 13, 20, 33)),
                new Case("transpose", "transpose", "exact", t -> {
                    for (int[] s : new int[][]{{24, 11}, {41, 7}, {5, 37}, {1, 33}}) {
                        Twin src = t.gaussian(s[0], s[1], 1), dst = t.output(s[1], s[0]);
                        t.run((be, r) -> be.transpose(src.of(r), dst.of(r), Trial.LISTED), dst);
                        t.compare("transpose " + s[0] + "×" + s[1], dst, (m, i, j) -> 0);
                    }
                }));
    }

    private static Case matmul(String name, boolean transposeA, boolean accumulate, Shape... shapes) {
        return new Case("matmul", name, GEMM_RULE, t -> {
            for (Shape s : shapes) {
                Twin a = transposeA ? t.input(s.extent, s.m, (m, r, c) -> t.gauss(1 + m)) : t.input(s.m, s.extent, (m, r, c) -> t.gauss(1 + m));
                Twin b = t.gaussian(s.extent, s.n, 0.5), c = t.output(s.m, s.n);
                double[][][] c0 = new double[Trial.MODELS][s.m][s.n];
                for (int m : Trial.LISTED)
                    for (int i = 0; i < s.m; i++)
                        for (int j = 0; j < s.n; j++) c0[m][i][j] = c.at(m, i, j);
                t.run((be, r) -> be.matmul(a.of(r), transposeA, b.of(r), c.of(r), s.k, accumulate, Trial.LISTED), c);
                t.compare(name + " " + s.m + "×" + s.n + " K=" + s.k, c, (m, i, j) -> {
                    double mag = accumulate ? Math.abs(c0[m][i][j]) : 0;
                    for (int kk = 0; kk < s.k; kk++) mag += Math.abs((transposeA ? a.at(m, kk, i) : a.at(m, i, kk)) * b.at(m, kk, j));
                    return Rules.GEMM * mag;
                });
            }
        });
    }
}
