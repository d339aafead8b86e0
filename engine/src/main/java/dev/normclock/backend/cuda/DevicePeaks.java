package dev.normclock.backend.cuda;

import java.util.Locale;
import java.util.Map;

import dev.normclock.bindings.cuda.CudaDriver;

/**
 * A GPU's peak FP32 and TF32 arithmetic and memory bandwidth, for the roofline of `bench`. From the
 * device's attributes where the driver reports them: FP32 = SMs × FP32 lanes per SM × 2 (a
 * multiply–add is two operations) × the SM clock, bandwidth = 2 (double data rate) × the memory
 * clock × the bus width / 8. The lanes per SM follow the CUDA programming guide's table of
 * arithmetic throughput (32-bit multiply–add results per clock per SM): 64 on compute capability
 * 7.x and 8.0, 128 on 8.6, 8.7, 8.9, 9.0 and newer. TF32 tensor-core peaks are NVIDIA's nominal
 * dense figures by compute capability (8.0: A100, 156 TFLOP/s; 9.0: H100/H200 SXM, 494.7), not
 * derived. Where the attributes are missing, a table by device name gives NVIDIA's nominal figures
 * (H200, H100 SXM, A100); {@link #source} says which was used.
 *
 * @param tf32Gflops NaN where no nominal figure is known
 */
public record DevicePeaks(String device, double fp32Gflops, double tf32Gflops, double bandwidthGBs, String source) {
    /** The GPU this project's device checks run on, for the simulator's roofline (an estimate for it, never a measurement). */
    public static final DevicePeaks REFERENCE = nominal("NVIDIA H200");

    /** FP32 lanes per SM by compute capability; 0 where unknown (older than Volta: the kernels need sm_80 anyway). */
    static int fp32LanesPerSm(int major, int minor) {
        if (major == 7 || major == 8 && minor == 0) return 64;
        if (major >= 8) return 128;
        return 0;
    }

    /** NVIDIA's nominal dense TF32 tensor-core peak in GFLOP/s by compute capability; NaN where none is tabled. */
    static double nominalTf32Gflops(int major, int minor) {
        if (major == 8 && minor == 0) return 156_000;
        if (major == 9 && minor == 0) return 494_700;
        return Double.NaN;
    }

    /** The peaks from the device's attributes (clocks in kHz, bus in bits); null where one is missing or zero. */
    static DevicePeaks fromAttributes(String name, int major, int minor, int sms, long clockKHz, long memoryClockKHz, int busBits) {
        int lanes = fp32LanesPerSm(major, minor);
        if (lanes == 0 || sms <= 0 || clockKHz <= 0 || memoryClockKHz <= 0 || busBits <= 0) return null;
        double fp32 = (double) sms * lanes * 2 * clockKHz * 1e3 / 1e9;
        double bandwidth = 2.0 * memoryClockKHz * 1e3 * busBits / 8 / 1e9;
        return new DevicePeaks(name, fp32, nominalTf32Gflops(major, minor), bandwidth, String.format(Locale.ROOT,
                "the device's attributes: %d SMs x %d FP32 lanes x 2 x %.0f MHz; 2 x %.0f MHz x %d-bit bus; TF32 nominal for compute capability %d.%d",
                sms, lanes, clockKHz / 1e3, memoryClockKHz / 1e3, busBits, major, minor));
    }

    /** NVIDIA's nominal figures for a device by name (H200, H100 taken as SXM, A100), or null. */
    public static DevicePeaks nominal(String name) {
        String n = name.toUpperCase(Locale.ROOT);
        if (n.contains("H200")) return table(name, 67_000, 494_700, 4_800, "H200");
        if (n.contains("H100")) return table(name, 67_000, 494_700, 3_350, "H100 SXM");
        if (n.contains("A100")) return table(name, 19_500, 156_000, 2_000, "A100");
        return null;
    }

    private static DevicePeaks table(String name, double fp32, double tf32, double bandwidth, String row) {
        return new DevicePeaks(name, fp32, tf32, bandwidth, "NVIDIA's nominal figures for the " + row + ", from a table by device name");
    }

    /**
     * The peaks of GPU 0 (the one the cuda backend opens): from its attributes, else the table by
     * name; null with no figure to give (an unknown device whose driver does not report clocks).
     */
    public static DevicePeaks probe(Map<String, String> env) {
        String name = null;
        try {
            CudaDriver driver = CudaDriver.load(env);
            driver.init();
            int dev = driver.deviceGet(0);
            name = driver.deviceName(dev);
            DevicePeaks measured = fromAttributes(name, driver.attribute(CudaDriver.ATTRIBUTE_CC_MAJOR, dev),
                    driver.attribute(CudaDriver.ATTRIBUTE_CC_MINOR, dev), driver.attribute(CudaDriver.ATTRIBUTE_MULTIPROCESSORS, dev),
                    attributeOrZero(driver, CudaDriver.ATTRIBUTE_CLOCK_RATE, dev), attributeOrZero(driver, CudaDriver.ATTRIBUTE_MEMORY_CLOCK_RATE, dev),
                    (int) attributeOrZero(driver, CudaDriver.ATTRIBUTE_MEMORY_BUS_WIDTH, dev));
            if (measured != null) return measured;
        } catch (RuntimeException | LinkageError e) {
            // no attributes to read: the table by name, if there is a name
        }
        return name == null ? null : nominal(name);
    }

    /** An attribute, or 0 where the driver refuses it (one that no longer reports clocks). */
    private static long attributeOrZero(CudaDriver driver, int attribute, int dev) {
        try {
            return Integer.toUnsignedLong(driver.attribute(attribute, dev));
        } catch (RuntimeException e) {
            return 0;
        }
    }
}
