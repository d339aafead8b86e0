package dev.normclock.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import java.lang.reflect.Proxy;

import org.junit.jupiter.api.Test;

import dev.normclock.backend.Backend;
import dev.normclock.backend.Tensor;

import dev.normclock.backend.cpu.CpuBackend;

/**
 * The GPU self-check's harness, run where there is no GPU: the CPU backend against itself with
 * another thread count, which gives the same bits, so every comparison must report exactly 0 —
 * inputs are made alike on both sides, each side computes on its own tensors, and the measure
 * reads the right ones. A harness that compared a tensor with itself would pass too, so one
 * deliberate difference must be caught.
 */
class SelfCheckTest {

    @Test
    void everyPrimitiveOfTheCpuBackendAgreesWithItselfExactly() {
        try (CpuBackend one = new CpuBackend(1); CpuBackend two = new CpuBackend(2)) {
            List<SelfCheck.Result> results = SelfCheck.primitives(one, two, 42);
            assertTrue(results.size() >= 35, "every primitive is checked: " + results.size());
            for (SelfCheck.Result r : results) {
                assertEquals(0.0, r.worst(), r.line());
                assertTrue(r.passed(), r.line());
            }
        }
    }

    @Test
    void aTrainingStepOfEveryModelAgreesWithItselfExactly() {
        try (CpuBackend one = new CpuBackend(1); CpuBackend two = new CpuBackend(2)) {
            List<SelfCheck.Result> results = SelfCheck.training(one, two, 2);
            assertEquals(8, results.size()); // MLP, attention without and with LayerNorm, parity: losses and weights
            for (SelfCheck.Result r : results) assertEquals(0.0, r.worst(), r.line());
        }
    }

    /** The CPU backend with one primitive broken on purpose: copy leaves one element off by 1 %. */
    static Backend brokenCopy(CpuBackend inner) {
        return (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(), new Class<?>[]{Backend.class}, (proxy, method, args) -> {
            Object result;
            try {
                result = method.invoke(inner, args);
            } catch (java.lang.reflect.InvocationTargetException e) {
                throw e.getCause();
            }
            if (method.getName().equals("copy")) {
                Tensor dst = (Tensor) args[1];
                int m = ((int[]) args[2])[0];
                dst.set(m, 0, 0, dst.get(m, 0, 0) * 1.01f + 0.01f);
            }
            return result;
        });
    }

    @Test
    void aBrokenPrimitiveIsCaughtAndTheOthersStillPass() {
        try (CpuBackend one = new CpuBackend(1); CpuBackend two = new CpuBackend(1)) {
            List<SelfCheck.Result> results = SelfCheck.primitives(one, brokenCopy(two), 42);
            for (SelfCheck.Result r : results) {
                if (r.what().equals("copy") || r.what().equals("addRow")) assertFalse(r.passed(), r.line()); // addRow works on copy's output
                else assertTrue(r.passed(), r.line());
            }
        }
    }

    @Test
    void aDifferenceIsMeasuredRelativeToTheLargestEntryAndNaNFails() {
        assertEquals(0.5, SelfCheck.relative(new double[]{2, 1}, new double[]{2, 2}, new int[]{0, 1}));
        SelfCheck.Result nan = new SelfCheck.Result("x", Double.NaN, 1);
        assertFalse(nan.passed());
        assertTrue(nan.line().contains("FAIL"));
        assertFalse(new SelfCheck.Result("y", 2e-5, 1e-5).passed());
    }
}
