package dev.normclock.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

/**
 * Bit-reproducibility does not depend on the JIT: every primitive gives the same bits run by the
 * interpreter (child JVM with -Xint, where the Vector API executes its Java fallback) and by
 * C2-compiled code (this JVM, after warm-up, where the Vector API uses intrinsics). Floating-point
 * {@code reduceLanes(ADD)} (its order is unspecified) and {@code lanewise(EXP)} (an intrinsic stub
 * whose last bit differs from the fallback's) are not: a kernel using them gives results that change
 * as the JIT compiles it, so the same run differs between processes or as a process warms up.
 */
class CpuBackendJitIndependenceTest {

    @Test
    void primitivesGiveTheSameBitsInterpretedAndCompiled() throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xint",
                "-cp", System.getProperty("java.class.path"), JitIndependenceProbe.class.getName()));
        Process child = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        // warm up here meanwhile, so that the kernels are C2-compiled
        Map<String, Long> compiled = null;
        for (int i = 0; i < 400; i++) compiled = JitIndependenceProbe.run();
        assertTrue(child.waitFor(120, TimeUnit.SECONDS), "the -Xint probe finished");
        String text = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, child.exitValue(), text);
        Map<String, Long> interpreted = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            int sp = line.lastIndexOf(' ');
            if (sp > 0 && !line.startsWith("WARNING")) interpreted.put(line.substring(0, sp), Long.parseUnsignedLong(line.substring(sp + 1).trim(), 16));
        }
        assertEquals(compiled.keySet(), interpreted.keySet(), text);
        List<String> differ = new ArrayList<>();
        for (String k : compiled.keySet()) if (!compiled.get(k).equals(interpreted.get(k))) differ.add(k);
        assertTrue(differ.isEmpty(), "primitives whose bits depend on the JIT (interpreted vs compiled): " + differ);
    }
}
