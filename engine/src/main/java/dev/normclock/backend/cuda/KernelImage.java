package dev.normclock.backend.cuda;

import java.io.IOException;
import java.io.InputStream;

/**
 * The kernels' fatbin (native/src built by native/build.sh), packaged in the engine's jar where
 * the build machine had nvcc. A build without nvcc has none, and the cuda backend then says so.
 */
public final class KernelImage {
    /** The classpath resource the engine build writes. */
    public static final String RESOURCE = "/dev/normclock/backend/cuda/normclock.fatbin";
    /** One line for a build without the kernels: what is missing and what to do. */
    public static final String NOT_BUILT = "kernels not built: this normclock was built without nvcc, so its jar holds no "
            + "normclock.fatbin; rebuild it where the CUDA toolkit is installed (native/build.sh runs from Maven when "
            + "/usr/local/cuda/bin/nvcc exists, or with -Pcuda-kernels)";

    private KernelImage() {
    }

    public static boolean built() {
        return KernelImage.class.getResource(RESOURCE) != null;
    }

    /** Size in bytes of the packaged fatbin, or −1 when there is none. */
    public static long size() {
        try (InputStream in = KernelImage.class.getResourceAsStream(RESOURCE)) {
            return in == null ? -1 : in.readAllBytes().length;
        } catch (IOException e) {
            return -1;
        }
    }

    /** The fatbin's bytes; an IllegalStateException with {@link #NOT_BUILT} when the build had no nvcc. */
    public static byte[] load() {
        try (InputStream in = KernelImage.class.getResourceAsStream(RESOURCE)) {
            if (in == null) throw new IllegalStateException(NOT_BUILT);
            return in.readAllBytes();
        } catch (IOException e) {
            throw new IllegalStateException("the kernels' fatbin " + RESOURCE + " cannot be read: " + e.getMessage(), e);
        }
    }
}
