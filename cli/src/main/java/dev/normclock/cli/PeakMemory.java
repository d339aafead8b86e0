package dev.normclock.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The process's peak resident set (VmHWM of /proc/self/status), or -1 where there is none. */
final class PeakMemory {
    private PeakMemory() {
    }

    static long residentBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status")))
                if (line.startsWith("VmHWM:")) return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }
}
