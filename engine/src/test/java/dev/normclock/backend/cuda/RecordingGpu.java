package dev.normclock.backend.cuda;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A GPU that runs nothing but checks every call it is given against what the kernels declare:
 * each launch's arguments against the kernel's parameter list in native/src (count, and each
 * one's size: 8 for a pointer or double, 24 for a View, 4 for an int or float), the model list it
 * points to against the grid, every tensor View's elements of every listed model inside one
 * device allocation, and every GEMM's matrices inside theirs. A mismatch is an AssertionError at
 * the call that made it.
 */
final class RecordingGpu implements Gpu {
    /** One declared parameter: its C type and its size. */
    record Param(String type, int size) {
        boolean pointer() {
            return type.contains("*");
        }

        boolean view() {
            return type.equals("View");
        }
    }

    final FakeDevice device = new FakeDevice();
    /** Whether it offers cuBLAS GEMMs; without, the backend launches nc_gemm. */
    final boolean cublas;
    final Map<String, List<Param>> kernels;
    final Map<String, Integer> launches = new TreeMap<>();
    int gemms;

    RecordingGpu() {
        this(true);
    }

    RecordingGpu(boolean cublas) {
        this.cublas = cublas;
        kernels = declaredKernels(Path.of(System.getProperty("user.dir")).resolve("../native/src"));
    }

    /** Every extern "C" __global__ kernel of the .cuh/.cu files in the folder, with its parameters. */
    static Map<String, List<Param>> declaredKernels(Path src) {
        Map<String, List<Param>> out = new LinkedHashMap<>();
        Pattern kernel = Pattern.compile("extern \"C\" __global__ void (?:__launch_bounds__\\([^)]*\\) )?(nc_\\w+)\\(([^)]*)\\)", Pattern.DOTALL);
        try (Stream<Path> files = Files.list(src)) {
            for (Path f : files.sorted().toList()) {
                Matcher m = kernel.matcher(Files.readString(f));
                while (m.find()) {
                    List<Param> params = new ArrayList<>();
                    for (String p : m.group(2).split(",")) {
                        String decl = p.strip().replaceAll("\\s+", " ");
                        String type = decl.substring(0, decl.lastIndexOf(' ')).replace("const ", "").strip();
                        int size = type.contains("*") ? 8 : switch (type) {
                            case "View" -> 24;
                            case "int", "float" -> 4;
                            case "double" -> 8;
                            default -> throw new IllegalStateException("kernel " + m.group(1) + ": unknown parameter type '" + type + "'");
                        };
                        params.add(new Param(type, size));
                    }
                    out.put(m.group(1), params);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    @Override
    public DeviceMemory memory() {
        return device;
    }

    @Override
    public void launch(String name, int gridX, int gridY, int gridZ, int blockX, MemorySegment params, int[] sizes) {
        List<Param> declared = kernels.get(name);
        if (declared == null) throw new AssertionError("no kernel " + name + " in native/src");
        if (declared.size() != sizes.length)
            throw new AssertionError(name + ": " + sizes.length + " arguments given, " + declared.size() + " declared");
        for (int i = 0; i < sizes.length; i++)
            if (declared.get(i).size() != sizes[i])
                throw new AssertionError(name + ": argument " + i + " has " + sizes[i] + " bytes, the kernel declares " + declared.get(i));
        if (gridX < 1 || gridY < 1 || gridZ < 1 || blockX < 32 || blockX > 1024 || blockX % 32 != 0)
            throw new AssertionError(name + ": grid " + gridX + " × " + gridY + " × " + gridZ + " of " + blockX + " threads");
        MemorySegment[] args = new MemorySegment[sizes.length];
        for (int i = 0; i < sizes.length; i++) args[i] = params.getAtIndex(ValueLayout.ADDRESS, i).reinterpret(sizes[i]);
        // the first parameter of every kernel is the list of model slots, one per blockIdx.y
        if (!declared.getFirst().type().equals("int*")) throw new AssertionError(name + ": the first parameter is not the model list");
        long modelsAt = args[0].get(ValueLayout.JAVA_LONG, 0);
        if (!device.inside(modelsAt, 4L * gridY)) throw new AssertionError(name + ": the model list is not in device memory");
        int[] models = device.at(modelsAt).asSlice(0, 4L * gridY).toArray(ValueLayout.JAVA_INT);
        for (int i = 1; i < sizes.length; i++) {
            Param p = declared.get(i);
            if (p.pointer()) {
                long at = args[i].get(ValueLayout.JAVA_LONG, 0);
                if (at != 0 && !device.inside(at, 4)) throw new AssertionError(name + ": argument " + i + " (" + p.type() + ") points outside device memory");
            } else if (p.view()) {
                long addr = args[i].get(ValueLayout.JAVA_LONG, 0), stride = args[i].get(ValueLayout.JAVA_LONG, 8), ld = args[i].get(ValueLayout.JAVA_LONG, 16);
                if (addr == 0) continue; // an absent tensor (slope or add left out)
                if (ld < 1 || ld % 16 != 0) throw new AssertionError(name + ": argument " + i + " has row length " + ld);
                for (int m : models)
                    if (!device.inside(addr + 4 * m * stride, 4 * ld))
                        throw new AssertionError(name + ": argument " + i + ", model " + m + "'s first row is outside device memory");
            }
        }
        launches.merge(name, 1, Integer::sum);
    }

    @Override
    public void sgemmStridedBatched(int transA, int transB, int m, int n, int k, long a, int lda, long strideA, long b, int ldb,
                                    long strideB, boolean accumulate, long c, int ldc, long strideC, int batch) {
        // column-major extents of the last matrix of the batch: op N A is m × k (k columns), op T k × m, B likewise with k × n
        long aCols = transA == GemmMapping.OP_N ? k : m, bCols = transB == GemmMapping.OP_N ? n : k;
        long aRows = transA == GemmMapping.OP_N ? m : k, bRows = transB == GemmMapping.OP_N ? k : n;
        if (lda < aRows || ldb < bRows || ldc < m) throw new AssertionError("GEMM leading dimensions " + lda + ", " + ldb + ", " + ldc);
        check("A", a, (batch - 1) * strideA, (aCols - 1) * lda + aRows);
        check("B", b, (batch - 1) * strideB, (bCols - 1) * ldb + bRows);
        check("C", c, (batch - 1) * strideC, (long) (n - 1) * ldc + m);
        gemms++;
    }

    private void check(String which, long first, long lastOffset, long elements) {
        if (!device.inside(first, 4 * elements) || !device.inside(first + 4 * lastOffset, 4 * elements))
            throw new AssertionError("GEMM operand " + which + " reaches outside device memory");
    }

    @Override
    public boolean cublas() {
        return cublas;
    }

    @Override
    public void makeCurrent() {
    }

    @Override
    public String deviceName() {
        return "recording GPU (runs nothing)";
    }

    @Override
    public void close() {
    }
}
