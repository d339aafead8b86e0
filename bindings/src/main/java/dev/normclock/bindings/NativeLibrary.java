package dev.normclock.bindings;

import java.lang.foreign.Arena;
import java.lang.foreign.SymbolLookup;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * A native library found at run time, or why it was not. The search order: an explicit path (from
 * an environment variable or a flag), then the folders where CUDA installs put it, then the
 * dynamic loader's own search path. Every miss is kept as one line saying where it looked and how
 * to point normclock at the library, so a missing GPU library never becomes a stack trace.
 */
public final class NativeLibrary {
    private final String name;
    private final Path path;          // null when loaded by name through the loader's path
    private final SymbolLookup lookup; // null when not found
    private final String problem;      // null when found

    private NativeLibrary(String name, Path path, SymbolLookup lookup, String problem) {
        this.name = name;
        this.path = path;
        this.lookup = lookup;
        this.problem = problem;
    }

    public boolean found() {
        return lookup != null;
    }

    public String name() {
        return name;
    }

    /** Where it was loaded from (the file, or its soname when the loader found it). */
    public String location() {
        return path != null ? path.toString() : name + " (through the loader's search path)";
    }

    public SymbolLookup lookup() {
        if (lookup == null) throw new IllegalStateException(problem);
        return lookup;
    }

    /** One line: why it was not found and what to do. */
    public String problem() {
        return problem;
    }

    /**
     * Finds a library.
     *
     * @param sonames    the names to try with the dynamic loader (e.g. libcuda.so.1)
     * @param override   an explicit path given by the user, or null
     * @param overrideBy how the user gives it (e.g. "NORMCLOCK_LIBCUDA or --libcuda"), for the message
     * @param folders    folders to look in for a file whose name starts with one of the sonames' stems
     */
    public static NativeLibrary find(List<String> sonames, String override, String overrideBy, List<Path> folders) {
        String name = sonames.getFirst();
        Arena arena = Arena.global(); // libraries stay loaded for the life of the process
        if (override != null && !override.isBlank()) {
            Path p = Path.of(override);
            if (!Files.isRegularFile(p))
                return new NativeLibrary(name, p, null, name + " not found at " + p + " (given by " + overrideBy + "): fix or unset it");
            try {
                return new NativeLibrary(name, p, SymbolLookup.libraryLookup(p, arena), null);
            } catch (IllegalArgumentException e) {
                return new NativeLibrary(name, p, null, p + " (given by " + overrideBy + ") cannot be loaded: " + e.getMessage());
            }
        }
        for (Path folder : folders) {
            Optional<Path> file = candidates(folder, sonames).findFirst();
            if (file.isEmpty()) continue;
            try {
                return new NativeLibrary(name, file.get(), SymbolLookup.libraryLookup(file.get(), arena), null);
            } catch (IllegalArgumentException e) {
                // a broken copy: keep looking
            }
        }
        for (String soname : sonames) {
            try {
                return new NativeLibrary(soname, null, SymbolLookup.libraryLookup(soname, arena), null);
            } catch (IllegalArgumentException e) {
                // not on the loader's path
            }
        }
        List<String> where = new ArrayList<>();
        for (Path f : folders) where.add(f.toString());
        where.add("the loader's search path");
        return new NativeLibrary(name, null, null, name + " not found (looked in " + String.join(", ", where) + "); set "
                + overrideBy + " to its path");
    }

    private static Stream<Path> candidates(Path folder, List<String> sonames) {
        if (!Files.isDirectory(folder)) return Stream.empty();
        try (Stream<Path> files = Files.list(folder)) {
            List<Path> all = files.sorted().toList();
            return sonames.stream().flatMap(so -> {
                String stem = so.contains(".so") ? so.substring(0, so.indexOf(".so") + 3) : so;
                return all.stream().filter(f -> f.getFileName().toString().startsWith(stem) && Files.isRegularFile(f));
            });
        } catch (java.io.IOException e) {
            return Stream.empty();
        }
    }

    /** The environment, read through one method so that tests can give their own. */
    public static String env(Map<String, String> env, String key) {
        return env.get(key);
    }
}
