package dev.normclock.bindings.cuda;

import java.util.Map;

/**
 * Names of the CUresult and cublasStatus_t codes normclock can meet, for messages when the
 * library itself cannot be asked (cuGetErrorName needs a loaded driver; cublasGetStatusName a
 * cuBLAS of 11.4 or later). Values from cuda.h and cublas_api.h.
 */
public final class CudaErrors {
    private CudaErrors() {
    }

    private static final Map<Integer, String> DRIVER = Map.ofEntries(
            Map.entry(0, "CUDA_SUCCESS"),
            Map.entry(1, "CUDA_ERROR_INVALID_VALUE"),
            Map.entry(2, "CUDA_ERROR_OUT_OF_MEMORY"),
            Map.entry(3, "CUDA_ERROR_NOT_INITIALIZED"),
            Map.entry(4, "CUDA_ERROR_DEINITIALIZED"),
            Map.entry(35, "CUDA_ERROR_INSUFFICIENT_DRIVER"),
            Map.entry(100, "CUDA_ERROR_NO_DEVICE"),
            Map.entry(101, "CUDA_ERROR_INVALID_DEVICE"),
            Map.entry(200, "CUDA_ERROR_INVALID_IMAGE"),
            Map.entry(201, "CUDA_ERROR_INVALID_CONTEXT"),
            Map.entry(209, "CUDA_ERROR_NO_BINARY_FOR_GPU"),
            Map.entry(218, "CUDA_ERROR_INVALID_PTX"),
            Map.entry(222, "CUDA_ERROR_UNSUPPORTED_PTX_VERSION"),
            Map.entry(400, "CUDA_ERROR_INVALID_HANDLE"),
            Map.entry(500, "CUDA_ERROR_NOT_FOUND"),
            Map.entry(700, "CUDA_ERROR_ILLEGAL_ADDRESS"),
            Map.entry(701, "CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES"),
            Map.entry(719, "CUDA_ERROR_LAUNCH_FAILED"),
            Map.entry(801, "CUDA_ERROR_NOT_SUPPORTED"),
            Map.entry(803, "CUDA_ERROR_SYSTEM_DRIVER_MISMATCH"),
            Map.entry(900, "CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED"),
            Map.entry(901, "CUDA_ERROR_STREAM_CAPTURE_INVALIDATED"),
            Map.entry(906, "CUDA_ERROR_STREAM_CAPTURE_IMPLICIT"),
            Map.entry(908, "CUDA_ERROR_STREAM_CAPTURE_WRONG_THREAD"),
            Map.entry(999, "CUDA_ERROR_UNKNOWN"));

    private static final Map<Integer, String> CUBLAS = Map.ofEntries(
            Map.entry(0, "CUBLAS_STATUS_SUCCESS"),
            Map.entry(1, "CUBLAS_STATUS_NOT_INITIALIZED"),
            Map.entry(3, "CUBLAS_STATUS_ALLOC_FAILED"),
            Map.entry(7, "CUBLAS_STATUS_INVALID_VALUE"),
            Map.entry(8, "CUBLAS_STATUS_ARCH_MISMATCH"),
            Map.entry(11, "CUBLAS_STATUS_MAPPING_ERROR"),
            Map.entry(13, "CUBLAS_STATUS_EXECUTION_FAILED"),
            Map.entry(14, "CUBLAS_STATUS_INTERNAL_ERROR"),
            Map.entry(15, "CUBLAS_STATUS_NOT_SUPPORTED"),
            Map.entry(16, "CUBLAS_STATUS_LICENSE_ERROR"));

    /** The CUresult's enumerator name, or "CUresult n" for one not listed. */
    public static String driverName(int code) {
        return DRIVER.getOrDefault(code, "CUresult " + code);
    }

    /** The cublasStatus_t's enumerator name, or "cublasStatus_t n" for one not listed. */
    public static String cublasName(int code) {
        return CUBLAS.getOrDefault(code, "cublasStatus_t " + code);
    }
}
