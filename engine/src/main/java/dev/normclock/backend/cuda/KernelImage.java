package dev.normclock.backend.cuda;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

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

    /**
     * What the fatbin holds, read from its container headers, e.g. "sm_80 + sm_90 + compute_90 PTX":
     * machine code per architecture, then PTX. Read from the image rather than written down, so that
     * `normclock devices` says what this build really carries (there is no cuobjdump where it runs).
     * "unreadable" when the container is not laid out as expected.
     */
    public static String targets(byte[] image) {
        // The container: a 16-byte header (magic 0xBA55ED50, version, header size, payload size), then
        // entries, each a header (kind 1 = PTX, 2 = ELF machine code; its own size at +4, the payload's
        // size at +8, the architecture as major*10+minor at +28) followed by its payload.
        ByteBuffer b = ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN);
        List<String> elf = new ArrayList<>(), ptx = new ArrayList<>();
        try {
            if (b.getInt(0) != 0xBA55ED50) return "unreadable";
            int headerSize = Short.toUnsignedInt(b.getShort(6));
            long end = headerSize + b.getLong(8);
            long at = headerSize;
            while (at < end && at < image.length) {
                int e = Math.toIntExact(at);
                int kind = Short.toUnsignedInt(b.getShort(e));
                long entryHeader = Integer.toUnsignedLong(b.getInt(e + 4));
                long payload = b.getLong(e + 8);
                int arch = b.getInt(e + 28);
                if (kind == 2 && !elf.contains("sm_" + arch)) elf.add("sm_" + arch);
                else if (kind == 1 && !ptx.contains("compute_" + arch + " PTX")) ptx.add("compute_" + arch + " PTX");
                if (entryHeader <= 0 || payload < 0) return "unreadable";
                at += entryHeader + payload;
            }
        } catch (IndexOutOfBoundsException | ArithmeticException e) {
            return "unreadable";
        }
        elf.addAll(ptx);
        return elf.isEmpty() ? "unreadable" : String.join(" + ", elf);
    }
}
