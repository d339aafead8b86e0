package dev.normclock.model;

import dev.normclock.task.ModularAddition;

/** A population of a model of (a + b) mod p: each slot initialised from its seed and given its split. */
public interface ModularPopulation extends Population {

    /** Draws slot's initial weights from (baseKey, seed); biases (where the model has them) with std biasStd. */
    void initialise(int slot, long baseKey, int seed, double biasStd);

    /** Gives the slot its training and test pairs. */
    void assign(int slot, ModularAddition.Split split);

    /** Which model of the papers, and its shape, a population of modular addition is built for. */
    record Kind(String model, int p, int d, int hidden, boolean layerNorm) {
        public static final int HEAD_SIZE = 32;

        public Kind {
            ModelKind kind = modelKind(model);
            if (layerNorm && !kind.takesLayerNorm())
                throw new IllegalArgumentException("--layernorm applies to the attention model only");
            if (kind == ModelKind.ATTENTION && (d % HEAD_SIZE != 0 || d < HEAD_SIZE))
                throw new IllegalArgumentException("the attention model has heads of " + HEAD_SIZE + ": d must be a positive multiple of " + HEAD_SIZE + ", got " + d);
        }

        /** The model of modular addition this name is: mlp or attention. */
        private static ModelKind modelKind(String model) {
            ModelKind kind = java.util.Arrays.stream(ModelKind.values()).filter(k -> k.label.equals(model)).findFirst().orElse(null);
            if (kind == null || !kind.modularAddition)
                throw new IllegalArgumentException("--model must be mlp or attention (parity-mlp trains sparse parity, not this task); got '" + model + "'");
            return kind;
        }

        public ModelKind kind() {
            return modelKind(model);
        }

        /** A population of B models of this kind on trainSize pairs each. */
        public ModularPopulation create(int models, int trainSize) {
            return create(models, trainSize, dev.normclock.backend.Precision.FLOAT32);
        }

        /** As {@link #create(int, int)} in the given precision. */
        public ModularPopulation create(int models, int trainSize, dev.normclock.backend.Precision precision) {
            if (kind() == ModelKind.MLP) return new MlpPopulation(new MlpShape(p, d, hidden), models, trainSize, precision);
            return new AttentionPopulation(p, d, d / HEAD_SIZE, hidden, layerNorm, models, trainSize, precision);
        }

        /** The off-heap bytes {@link #create} will take once stepped by {@code be}, counted before anything is allocated. */
        public long plannedBytes(int models, int trainSize, dev.normclock.backend.Precision precision, dev.normclock.backend.WorkspaceSizing be) {
            if (kind() == ModelKind.MLP) return MlpPopulation.plannedBytes(new MlpShape(p, d, hidden), models, trainSize, precision, be);
            return AttentionPopulation.plannedBytes(p, d, d / HEAD_SIZE, hidden, layerNorm, models, trainSize, precision, be);
        }

        /** The step when the papers start the clamp: 500 for the MLP, 600 for the attention model. */
        public int paperClampFrom() {
            return kind().paperClampFrom;
        }
    }
}
