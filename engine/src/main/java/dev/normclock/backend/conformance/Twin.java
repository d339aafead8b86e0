package dev.normclock.backend.conformance;

import dev.normclock.backend.Tensor;

/**
 * A tensor twice with the same values: in float64 for the reference, in the candidate's own
 * precision for the candidate. Values are drawn as floats, so both hold exactly the same numbers.
 */
record Twin(Tensor ref, Tensor cand) {

    /** The reference's tensor or the candidate's. */
    Tensor of(boolean reference) {
        return reference ? ref : cand;
    }

    int rows() {
        return ref.rows;
    }

    int cols() {
        return ref.cols;
    }

    /** The reference's value of element (m, r, c): an input exactly, an output as the reference computed it. */
    double at(int m, int r, int c) {
        return ref.getDouble(m, r, c);
    }
}
