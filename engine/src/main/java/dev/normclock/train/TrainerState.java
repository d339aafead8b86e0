package dev.normclock.train;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.Arrays;

import dev.normclock.model.MlpPopulation.Metrics;
import dev.normclock.results.RunOutcome;
import dev.normclock.results.RunStatus;

/**
 * Everything the trainer knows about a population between two steps besides its tensors: the
 * step reached, each model's T_mem, T_grok, the norms at grok, how long it has held test accuracy,
 * and the outcome of models already retired. With the population's tensors it is a complete
 * checkpoint: training is full-batch and draws no random numbers after initialisation, so a run
 * continued from it is the same bits as one never stopped.
 */
public final class TrainerState {
    public int step;
    public final int[] tMem, tGrok, heldSince;
    public final Metrics[] atGrok;
    public final RunOutcome[] outcome;
    /** Wall seconds spent before this process picked the state up (resumed runs add it to their time). */
    public double wallBefore;
    /**
     * Each slot's clamp target and fork scale when the state was taken: a forking arm sets its
     * target from its own norm at the fork, so a resumed run must get it back (null: not recorded).
     */
    public double[] clampTarget, forkScale;

    public TrainerState(int models) {
        tMem = new int[models];
        tGrok = new int[models];
        heldSince = new int[models];
        Arrays.fill(tMem, -1);
        Arrays.fill(tGrok, -1);
        Arrays.fill(heldSince, -1);
        atGrok = new Metrics[models];
        outcome = new RunOutcome[models];
    }

    public int models() {
        return tMem.length;
    }

    /** Slots not yet retired, ascending. */
    public int[] active() {
        return java.util.stream.IntStream.range(0, models()).filter(m -> outcome[m] == null).toArray();
    }

    public int grokked() {
        return (int) Arrays.stream(tGrok).filter(t -> t >= 0).count();
    }

    public void write(DataOutputStream out) throws IOException {
        out.writeInt(models());
        out.writeInt(step);
        out.writeDouble(wallBefore);
        out.writeBoolean(clampTarget != null);
        if (clampTarget != null)
            for (int m = 0; m < models(); m++) {
                out.writeDouble(clampTarget[m]);
                out.writeDouble(forkScale[m]);
                out.writeDouble(Double.NaN); // format 4's allocated share: unused since Paper B's allocation (targets fixed before training)
            }
        for (int m = 0; m < models(); m++) {
            out.writeInt(tMem[m]);
            out.writeInt(tGrok[m]);
            out.writeInt(heldSince[m]);
            Metrics g = atGrok[m];
            out.writeBoolean(g != null);
            if (g != null)
                for (double v : new double[]{g.trainLoss(), g.trainAcc(), g.testLoss(), g.testAcc(), g.norm(), g.normE(), g.normW1(), g.normW2(),
                        g.logitScale(), g.collapse()})
                    out.writeDouble(v);
            RunOutcome o = outcome[m];
            out.writeBoolean(o != null);
            if (o != null) {
                out.writeUTF(o.status().name());
                out.writeInt(o.tMem());
                out.writeInt(o.tGrok());
                for (double v : new double[]{o.normAtGrok(), o.normEAtGrok(), o.normW1AtGrok(), o.normW2AtGrok()}) out.writeDouble(v);
                out.writeInt(o.finalStep());
                out.writeDouble(o.wallSeconds());
            }
        }
    }

    public static TrainerState read(DataInputStream in) throws IOException {
        int models = in.readInt();
        TrainerState s = new TrainerState(models);
        s.step = in.readInt();
        s.wallBefore = in.readDouble();
        if (in.readBoolean()) {
            s.clampTarget = new double[models];
            s.forkScale = new double[models];
            for (int m = 0; m < models; m++) {
                s.clampTarget[m] = in.readDouble();
                s.forkScale[m] = in.readDouble();
                in.readDouble(); // format 4's allocated share, unused
            }
        }
        for (int m = 0; m < models; m++) {
            s.tMem[m] = in.readInt();
            s.tGrok[m] = in.readInt();
            s.heldSince[m] = in.readInt();
            if (in.readBoolean())
                s.atGrok[m] = new Metrics(in.readDouble(), in.readDouble(), in.readDouble(), in.readDouble(), in.readDouble(),
                        in.readDouble(), in.readDouble(), in.readDouble(), in.readDouble(), in.readDouble());
            if (in.readBoolean())
                s.outcome[m] = new RunOutcome(RunStatus.valueOf(in.readUTF()), in.readInt(), in.readInt(), in.readDouble(),
                        in.readDouble(), in.readDouble(), in.readDouble(), in.readInt(), in.readDouble());
        }
        return s;
    }
}
