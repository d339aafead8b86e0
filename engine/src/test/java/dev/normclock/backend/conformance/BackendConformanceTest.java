package dev.normclock.backend.conformance;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import dev.normclock.backend.Backend;
import dev.normclock.backend.cpu.CpuBackend;
import dev.normclock.backend.cuda.CudaAvailability;
import dev.normclock.backend.cuda.CudaBackend;

/**
 * The conformance suite for every float32 backend there is: each case of {@link Conformance}, for
 * each backend, is one test named by both, held to the case's tolerance against the float64
 * backend.
 */
class BackendConformanceTest {
    static final long SEED = 42;

    /** A backend under test: its name in the report and how to open it. */
    record Candidate(String name, Supplier<Backend> open) {
        @Override
        public String toString() {
            return name;
        }
    }

    /**
     * The backends checked. To add one, add its line. A backend that needs what a machine may lack
     * (a GPU, its driver) says so from {@code open} with an assumption, which reports each of its
     * cases as skipped with the reason, e.g.
     * {@code new Candidate("cuda", () -> { CudaAvailability a = CudaAvailability.probe(System.getenv());
     * assumeTrue(a.usable(), a::problem); return CudaBackend.open(System.getenv()); })}.
     */
    static List<Candidate> candidates() {
        return List.of(
                new Candidate("cpu, 1 thread", () -> new CpuBackend(1)),
                new Candidate("cpu, 2 threads", () -> new CpuBackend(2)),
                new Candidate("cuda-sim, cuBLAS", () -> simulator(CudaBackend.Gemm.CUBLAS)),
                new Candidate("cuda-sim, nc_gemm", () -> simulator(CudaBackend.Gemm.KERNEL)),
                new Candidate("cuda", () -> {
                    CudaAvailability a = CudaAvailability.probe(System.getenv());
                    assumeTrue(a.usable(), () -> "no GPU here: " + a.problem());
                    return CudaBackend.open(System.getenv());
                }));
    }

    /** The cuda backend on the CUDA simulator; where the build had no C++ compiler, skipped with the reason. */
    static Backend simulator(CudaBackend.Gemm gemm) {
        CudaAvailability a = CudaAvailability.probeSimulator(System.getenv());
        // skipped only where the build had no C++ compiler; a built simulator that does not open fails
        assumeTrue(a.usable() || "built".equals(System.getProperty("normclock.sim")), () -> "the CUDA simulator was not built: " + a.problem());
        return CudaBackend.openSimulator(System.getenv(), new CudaBackend.Options(false, gemm));
    }

    /** Each backend is opened at its first case and closed after the last. */
    private static final Map<String, Backend> OPEN = new LinkedHashMap<>();

    @AfterAll
    static void closeAll() {
        OPEN.values().forEach(Backend::close);
        OPEN.clear();
    }

    static Stream<Arguments> everyCaseOfEveryBackend() {
        return candidates().stream().flatMap(b -> Conformance.cases().stream().map(c -> Arguments.of(b, c)));
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("everyCaseOfEveryBackend")
    void conforms(Candidate backend, Case c) {
        Backend be = OPEN.computeIfAbsent(backend.name(), name -> backend.open().get());
        Result r;
        try {
            r = c.run(be, SEED);
        } catch (RuntimeException e) {
            // a GPU fault leaves the context unusable: the next case gets a backend of its own
            try {
                OPEN.remove(backend.name()).close(); // releases the context even when it reports the fault again
            } catch (RuntimeException closing) {
                e.addSuppressed(closing);
            }
            throw e;
        }
        assertTrue(r.passed(), backend.name() + ": " + r.line());
    }
}
