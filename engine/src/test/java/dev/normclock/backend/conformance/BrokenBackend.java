package dev.normclock.backend.conformance;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.Set;
import java.util.function.BiConsumer;

import dev.normclock.backend.Backend;

/** A backend that forwards every call to another, with what a test wants done around one primitive: to break it on purpose, or to record calls. */
public final class BrokenBackend {
    private BrokenBackend() {
    }

    /** The methods of {@link Backend} that are not primitives: they always pass straight through. */
    static final Set<String> NOT_PRIMITIVES = Set.of("name", "precision", "tf32", "softmaxSum", "parallelism", "syncToHost", "hostChanged", "close", "readout", "deferredResults", "evaluationRows", "replayable",
            "workspaceModels", "deviceMemoryFree");

    /** What happens around one primitive's call ({@code call} runs it on the inner backend). */
    @FunctionalInterface
    public interface Around {
        void call(Method method, Object[] args, Runnable call);
    }

    /** The backend with every primitive's call going through {@code around}. */
    public static Backend wrap(Backend inner, Around around) {
        return (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(), new Class<?>[]{Backend.class}, (proxy, method, args) -> {
            Object[] result = new Object[1];
            Runnable call = () -> {
                try {
                    result[0] = method.invoke(inner, args);
                } catch (InvocationTargetException e) {
                    if (e.getCause() instanceof RuntimeException re) throw re;
                    if (e.getCause() instanceof Error err) throw err;
                    throw new IllegalStateException(e.getCause());
                } catch (IllegalAccessException e) {
                    throw new IllegalStateException(e);
                }
            };
            if (args == null || NOT_PRIMITIVES.contains(method.getName())) call.run();
            else around.call(method, args, call);
            return result[0];
        });
    }

    /**
     * The backend with {@code primitive} broken after each of its calls by {@code breakIt}, given the
     * call's arguments and the first model of its list.
     */
    public static Backend broken(Backend inner, String primitive, BiConsumer<Object[], Integer> breakIt) {
        return wrap(inner, (method, args, call) -> {
            call.run();
            if (method.getName().equals(primitive)) breakIt.accept(args, ((int[]) args[args.length - 1])[0]);
        });
    }
}
