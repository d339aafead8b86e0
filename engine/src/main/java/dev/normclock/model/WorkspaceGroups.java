package dev.normclock.model;

import java.util.Arrays;

/**
 * How a population steps its models through a workspace that holds {@code size} models: ascending
 * slots are cut into groups whose slots lie in [first, first + size), so each group can use the
 * workspace through {@code Tensor.window(first)}.
 */
final class WorkspaceGroups {
    private WorkspaceGroups() {
    }

    /** The end (exclusive) of the group that starts at index {@code from} of the ascending slots. */
    static int end(int[] active, int from, int size) {
        int end = from;
        while (end < active.length && active[end] < active[from] + size) end++;
        return end;
    }

    /** Slots [from, to) of the list, without copying when that is all of it. */
    static int[] slice(int[] active, int from, int to) {
        return from == 0 && to == active.length ? active : Arrays.copyOfRange(active, from, to);
    }

    /** A model's state tensors in checkpoint order: parameters, then first and second Adam moments. */
    static dev.normclock.backend.Tensor[] state(dev.normclock.backend.Tensor[] params, dev.normclock.backend.Tensor[] m1,
                                                dev.normclock.backend.Tensor[] m2) {
        dev.normclock.backend.Tensor[] out = new dev.normclock.backend.Tensor[3 * params.length];
        for (int i = 0; i < params.length; i++) {
            out[i] = params[i];
            out[params.length + i] = m1[i];
            out[2 * params.length + i] = m2[i];
        }
        return out;
    }
}
