package dev.normclock.bindings.cuda;

/**
 * A CUDA driver or cuBLAS call that did not return success: the function, the numeric code and
 * its name and description (from the library when it can say, else from {@link CudaErrors}),
 * in one line.
 */
public final class CudaException extends RuntimeException {
    private final String function;
    private final int code;

    public CudaException(String function, int code, String name, String description) {
        super(function + " failed: " + code + " " + name + (description == null || description.isBlank() ? "" : " (" + description + ")"));
        this.function = function;
        this.code = code;
    }

    /** The native function that failed, e.g. cuLaunchKernel. */
    public String function() {
        return function;
    }

    /** The CUresult or cublasStatus_t it returned. */
    public int code() {
        return code;
    }
}
