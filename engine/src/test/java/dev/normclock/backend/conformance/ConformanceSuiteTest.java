package dev.normclock.backend.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;

import dev.normclock.backend.Backend;
import dev.normclock.backend.Hyper;
import dev.normclock.backend.Tensor;
import dev.normclock.backend.cpu.CpuBackend;
import dev.normclock.backend.cpu.CpuFloat64Backend;

/**
 * The suite itself: it calls every primitive of {@link Backend}; the reference against itself
 * (another thread count, the same bits) passes with no error at all, so inputs are made alike on
 * both sides, each side computes on its own tensors and the comparisons read the right ones; and a
 * candidate broken on purpose in one primitive — a small error, a swapped pair of columns, swapped
 * decay orders, a NaN, a write into the idle slot, into padding or into an input — fails exactly
 * that primitive's cases while every other case still passes.
 */
class ConformanceSuiteTest {

    private static String signature(Method m) {
        return m.getName() + Arrays.stream(m.getParameterTypes()).map(Class::getSimpleName).collect(Collectors.joining(", ", "(", ")"));
    }

    @Test
    void everyPrimitiveOfTheBackendInterfaceIsCalled() {
        Set<String> all = new TreeSet<>(), called = new TreeSet<>();
        for (Method m : Backend.class.getMethods())
            if (!Modifier.isStatic(m.getModifiers()) && !BrokenBackend.NOT_PRIMITIVES.contains(m.getName())) all.add(signature(m));
        try (CpuBackend inner = new CpuBackend(1)) {
            Backend recording = BrokenBackend.wrap(inner, (method, args, call) -> {
                called.add(signature(method));
                call.run();
            });
            for (Result r : Conformance.run(recording, 42)) assertTrue(r.passed(), r.line());
        }
        assertEquals(all, called, "primitives the suite does not call");
        Set<String> named = Conformance.cases().stream().map(Case::primitive).collect(Collectors.toCollection(TreeSet::new));
        assertEquals(all.stream().map(s -> s.substring(0, s.indexOf('('))).collect(Collectors.toCollection(TreeSet::new)), named,
                "every case names the primitive it checks");
    }

    @Test
    void theReferenceAgainstItselfHasNoErrorAtAll() {
        try (CpuFloat64Backend other = new CpuFloat64Backend(2)) {
            List<Result> results = Conformance.run(other, 42);
            assertEquals(Conformance.cases().size(), results.size());
            assertTrue(results.size() >= 45, "cases: " + results.size());
            for (Result r : results) assertEquals(0.0, r.worst(), r.line() + " " + r.where());
        }
    }

    /** Runs the suite on the broken candidate: the cases of {@code primitive} fail, all others pass. */
    private static void onlyItsCasesFail(Backend candidate, String primitive) {
        List<Case> cases = Conformance.cases();
        List<Result> results = Conformance.run(candidate, 42);
        Set<String> failed = new TreeSet<>();
        for (int i = 0; i < cases.size(); i++) {
            Result r = results.get(i);
            if (!r.passed()) failed.add(cases.get(i).primitive());
            if (!cases.get(i).primitive().equals(primitive)) assertTrue(r.passed(), r.line());
        }
        assertEquals(Set.of(primitive), failed, "the broken primitive fails");
    }

    private static void perturb(Tensor t, int m, int r, int c, double relative) {
        t.set(m, r, c, t.getDouble(m, r, c) * (1 + relative));
    }

    @Test
    void anErrorOfOnePartInAThousandInOneElementFailsThatPrimitiveOnly() {
        try (CpuBackend inner = new CpuBackend(1)) {
            onlyItsCasesFail(BrokenBackend.broken(inner, "layerNorm", (args, m) -> perturb((Tensor) args[1], m, 5, 3, 1e-3)), "layerNorm");
            onlyItsCasesFail(BrokenBackend.broken(inner, "matmul", (args, m) -> perturb((Tensor) args[3], m, 0, 0, 1e-3)), "matmul");
            onlyItsCasesFail(BrokenBackend.broken(inner, "crossEntropy", (args, m) -> {
                float[][] loss = (float[][]) args[args.length - 4];
                loss[m][1] *= 1.001f;
            }), "crossEntropy");
            onlyItsCasesFail(BrokenBackend.broken(inner, "sumSquares", (args, m) -> ((double[]) args[1])[m] *= 1.001), "sumSquares");
        }
    }

    @Test
    void aTransposeWithTwoColumnsSwappedFails() {
        try (CpuBackend inner = new CpuBackend(1)) {
            onlyItsCasesFail(BrokenBackend.broken(inner, "transpose", (args, m) -> {
                Tensor dst = (Tensor) args[1];
                for (int r = 0; r < dst.rows && dst.cols > 1; r++) {
                    double a = dst.getDouble(m, r, 0);
                    dst.set(m, r, 0, dst.getDouble(m, r, 1));
                    dst.set(m, r, 1, a);
                }
            }), "transpose");
        }
    }

    @Test
    void anAdamWWithTheDecayOrdersSwappedFails() {
        try (CpuBackend inner = new CpuBackend(1)) {
            Backend swapped = BrokenBackend.wrap(inner, (method, args, call) -> {
                if (!method.getName().equals("adamW")) {
                    call.run();
                    return;
                }
                Hyper h = (Hyper) args[5];
                boolean[] was = h.decayAfter.clone();
                for (int m = 0; m < was.length; m++) h.decayAfter[m] = !was[m];
                try {
                    call.run();
                } finally {
                    System.arraycopy(was, 0, h.decayAfter, 0, was.length);
                }
            });
            onlyItsCasesFail(swapped, "adamW");
        }
    }

    @Test
    void aNaNAWriteIntoTheIdleSlotIntoPaddingOrIntoAnInputFails() {
        try (CpuBackend inner = new CpuBackend(1)) {
            onlyItsCasesFail(BrokenBackend.broken(inner, "gelu", (args, m) -> ((Tensor) args[1]).set(m, 2, 2, Double.NaN)), "gelu");
            onlyItsCasesFail(BrokenBackend.broken(inner, "copy", (args, m) -> ((Tensor) args[1]).set(Trial.IDLE, 0, 0, 1)), "copy");
            onlyItsCasesFail(BrokenBackend.broken(inner, "columnSums", (args, m) -> {
                Tensor out = (Tensor) args[1];
                if (out.cols < out.ld) out.set(m, 0, out.cols, 1e-30);
            }), "columnSums");
            onlyItsCasesFail(BrokenBackend.broken(inner, "multiply", (args, m) -> perturb((Tensor) args[1], m, 0, 0, 1e-6)), "multiply");
        }
    }

    @Test
    void aResultPassesWithinItsToleranceOnlyAndNaNFails() {
        assertTrue(new Result("x", "r", 1.0, "").passed());
        assertFalse(new Result("x", "r", 1.0001, "").passed());
        Result nan = new Result("x", "r", Double.NaN, "somewhere");
        assertFalse(nan.passed());
        assertTrue(nan.line().contains("FAIL") && nan.line().contains("somewhere"), nan.line());
        assertFalse(new Result("x", "r", Double.POSITIVE_INFINITY, "").passed());
    }
}
