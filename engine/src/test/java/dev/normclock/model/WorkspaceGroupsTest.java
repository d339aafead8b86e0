package dev.normclock.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import dev.normclock.backend.Hyper;
import dev.normclock.backend.Tensor;
import dev.normclock.backend.cpu.CpuBackend;
import dev.normclock.reference.ReferenceMlp;
import dev.normclock.task.ModularAddition;

/**
 * A population larger than {@link dev.normclock.backend.Backend.CPU_WORKSPACE_MODELS} steps its models in groups that
 * share the activation workspace; with gaps in the active slots the groups are uneven. Every
 * model must still train exactly as it does alone: the same bits of weights, moments, loss and
 * accuracy. Evaluation split into a test half and the step's forward pass must equal a plain
 * evaluation of the same weights.
 */
class WorkspaceGroupsTest {
    static final long BASE_KEY = 99L;
    static final int P = 11, D = 8, H = 24, STEPS = 3;

    @Test
    void groupedModelsTrainBitForBitAsAlone() {
        ModularAddition task = new ModularAddition(P, 0.5);
        int models = dev.normclock.backend.Backend.CPU_WORKSPACE_MODELS + 4, n = task.trainSize();
        int[] active = new int[models - 2];
        for (int m = 0, k = 0; m < models; m++) if (m != 3 && m != models - 2) active[k++] = m;
        Hyper hyper = MlpStepConformanceTest.hyper(models);
        int[][] pairs = new int[models][];
        try (CpuBackend be = new CpuBackend(2); MlpPopulation pop = new MlpPopulation(new MlpShape(P, D, H), models, n)) {
            for (int m = 0; m < models; m++) {
                pop.initialise(m, BASE_KEY, m, 0.05);
                pairs[m] = task.split(BASE_KEY, m).trainPairs();
            }
            double[][] loss = new double[STEPS][models], acc = new double[STEPS][models];
            for (int s = 0; s < STEPS; s++) pop.trainStep(be, active, pairs, hyper, s + 1, loss[s], acc[s]);

            for (int m : new int[]{0, 5, dev.normclock.backend.Backend.CPU_WORKSPACE_MODELS, models - 1}) {
                Hyper one = new Hyper(1);
                one.lr[0] = hyper.lr[m];
                one.weightDecay[0] = hyper.weightDecay[m];
                one.decayAfter[0] = hyper.decayAfter[m];
                one.temperature[0] = hyper.temperature[m];
                one.clampTarget[0] = hyper.clampTarget[m];
                one.clampFrom[0] = hyper.clampFrom[m];
                one.clampGroup[0] = hyper.clampGroup[m];
                one.squaredError[0] = hyper.squaredError[m];
                try (MlpPopulation alone = new MlpPopulation(new MlpShape(P, D, H), 1, n)) {
                    alone.initialise(0, BASE_KEY, m, 0.05);
                    double[] l = new double[1], a = new double[1];
                    for (int s = 0; s < STEPS; s++) {
                        alone.trainStep(be, new int[]{0}, new int[][]{pairs[m]}, one, s + 1, l, a);
                        assertEquals(Double.doubleToRawLongBits(l[0]), Double.doubleToRawLongBits(loss[s][m]), "slot " + m + " loss at step " + (s + 1));
                        assertEquals(a[0], acc[s][m], "slot " + m + " accuracy at step " + (s + 1));
                    }
                    Tensor[] mine = pop.state(), theirs = alone.state();
                    for (int j = 0; j < mine.length; j++) {
                        float[] x = mine[j].toArray(m), y = theirs[j].toArray(0);
                        for (int i = 0; i < x.length; i++)
                            assertEquals(Float.floatToRawIntBits(y[i]), Float.floatToRawIntBits(x[i]), "slot " + m + " state tensor " + j + " element " + i);
                    }
                }
            }
        }
    }

    @Test
    void theStepsForwardPassIsTheTrainingHalfOfAnEvaluation() {
        ModularAddition task = new ModularAddition(P, 0.5);
        int models = 3, n = task.trainSize();
        Hyper hyper = MlpStepConformanceTest.hyper(models);
        int[][] train = new int[models][], test = new int[models][];
        int[] active = {0, 1, 2};
        try (CpuBackend be = new CpuBackend(2); MlpPopulation pop = new MlpPopulation(new MlpShape(P, D, H), models, n)) {
            for (int m = 0; m < models; m++) {
                pop.initialise(m, BASE_KEY, m, 0.05);
                ModularAddition.Split split = task.split(BASE_KEY, m);
                train[m] = split.trainPairs();
                test[m] = split.testPairs();
                assertEquals(P * P, train[m].length + test[m].length);
            }
            double[] loss = new double[models], acc = new double[models];
            for (int s = 1; s <= 40; s++) pop.trainStep(be, active, train, hyper, s, loss, acc);
            MlpPopulation.Metrics[] full = new MlpPopulation.Metrics[models];
            pop.evaluate(be, active, train, test, hyper, full);
            pop.trainStep(be, active, train, hyper, 41, loss, acc);
            for (int m : active) {
                assertEquals(full[m].trainLoss(), loss[m], "slot " + m + ": the step measured the weights it started from");
                assertEquals(full[m].trainAcc(), acc[m], "slot " + m);
                assertTrue(full[m].trainAcc() > 0 && full[m].testAcc() >= 0 && full[m].finite(), full[m].toString());
            }
            // the test half against accuracy computed pair by pair from the same weights
            MlpPopulation.Metrics[] half = new MlpPopulation.Metrics[models];
            pop.evaluateTest(be, active, test, hyper, half);
            for (int m : active) {
                ReferenceMlp.Params w = MlpStepConformanceTest.readParams(pop, pop.params, m);
                double refLoss = ReferenceMlp.lossAndGradient(w, test[m], hyper.temperature[m], null);
                assertEquals(refLoss, half[m].testLoss(), 1e-5 * refLoss, "slot " + m + " test loss");
                // a float and a double forward may order a near-tie differently: one pair at most
                assertEquals(ReferenceMlp.accuracy(w, test[m]), half[m].testAcc(), 1.01 / test[m].length, "slot " + m + " test accuracy");
                assertTrue(Double.isNaN(half[m].trainLoss()), "the test half leaves the training metrics to the caller");
            }
        }
    }

    /**
     * Paper B's metrics: the logit scale is the mean ‖z/τ‖ over all p² pairs (the test half from
     * the evaluation, the training half from the step); softmax collapse is the share of training
     * pairs with probability exactly 1 on the label — none at first, many once the logits are
     * scaled up a thousandfold, never more than the accuracy; undefined under the squared error.
     */
    @Test
    void logitScaleAndSoftmaxCollapse() {
        ModularAddition task = new ModularAddition(P, 0.5);
        int models = 4, n = task.trainSize();
        Hyper hyper = MlpStepConformanceTest.hyper(models); // slot 3: squared error
        int[][] train = new int[models][], test = new int[models][];
        int[] active = {0, 1, 2, 3};
        try (CpuBackend be = new CpuBackend(2); MlpPopulation pop = new MlpPopulation(new MlpShape(P, D, H), models, n)) {
            for (int m = 0; m < models; m++) {
                pop.initialise(m, BASE_KEY, m, 0.05);
                ModularAddition.Split split = task.split(BASE_KEY, m);
                train[m] = split.trainPairs();
                test[m] = split.testPairs();
            }
            double[] loss = new double[models], acc = new double[models];
            for (int s = 1; s <= 60; s++) pop.trainStep(be, active, train, hyper, s, loss, acc);
            MlpPopulation.Metrics[] x = new MlpPopulation.Metrics[models];
            pop.evaluate(be, active, train, test, hyper, x);
            int[] all = java.util.stream.IntStream.range(0, P * P).toArray();
            for (int m : active) {
                ReferenceMlp.Params w = MlpStepConformanceTest.readParams(pop, pop.params, m);
                double ref = ReferenceMlp.logitScale(w, all, hyper.temperature[m]);
                assertEquals(ref, x[m].logitScale(), 1e-5 * ref, "slot " + m + " logit scale over all pairs");
                if (hyper.squaredError[m]) assertTrue(Double.isNaN(x[m].collapse()), "collapse is a softmax measure");
                else assertEquals(0.0, x[m].collapse(), "slot " + m + ": no collapse after 60 steps");
            }
            for (int m : active) {
                float[] w2 = pop.w2.toArray(m), b2 = pop.b2.toArray(m);
                for (int i = 0; i < w2.length; i++) w2[i] *= 1000;
                for (int i = 0; i < b2.length; i++) b2[i] *= 1000;
                pop.w2.fromArray(m, w2);
                pop.b2.fromArray(m, b2);
            }
            pop.evaluate(be, active, train, test, hyper, x);
            for (int m : active) {
                if (hyper.squaredError[m]) continue;
                assertTrue(x[m].collapse() > 0.2 && x[m].collapse() <= x[m].trainAcc(), "slot " + m + ": " + x[m]);
            }
        }
    }
}
