package dev.normclock.bindings;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;

/**
 * One native function in jextract's manner: its method handle is made on first use, so a library
 * that lacks a function normclock never calls still loads, and {@link #available} says whether
 * the symbol is there without calling it.
 */
public final class Downcall {
    private final SymbolLookup lookup;
    private final String name, library;
    private final FunctionDescriptor descriptor;
    private volatile MethodHandle handle;

    public Downcall(SymbolLookup lookup, String library, String name, FunctionDescriptor descriptor) {
        this.lookup = lookup;
        this.library = library;
        this.name = name;
        this.descriptor = descriptor;
    }

    public String name() {
        return name;
    }

    public boolean available() {
        return lookup.find(name).isPresent();
    }

    /** Calls a function that returns a C int (a status code), with the arguments as its descriptor says. */
    public int callInt(Object... args) {
        try {
            return (int) handle().invokeWithArguments(args);
        } catch (Throwable t) {
            throw unchecked(t);
        }
    }

    /** A failure inside a downcall as it should reach the caller: errors as they are, anything else unchecked and named. */
    public RuntimeException unchecked(Throwable t) {
        if (t instanceof RuntimeException r) return r;
        if (t instanceof Error e) throw e;
        return new IllegalStateException("calling " + name + " failed: " + t, t);
    }

    /** The handle, made once; a missing symbol is one line naming it and the library. */
    public MethodHandle handle() {
        MethodHandle h = handle;
        if (h == null) {
            h = Linker.nativeLinker().downcallHandle(lookup.find(name).orElseThrow(
                    () -> new UnsatisfiedLinkError(library + " has no " + name + ": it is too old, or not " + library)), descriptor);
            handle = h;
        }
        return h;
    }
}
