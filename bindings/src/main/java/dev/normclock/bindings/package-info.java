/**
 * Foreign Function and Memory bindings for the CUDA driver API and cuBLAS, written in jextract's
 * layout (one class per header, method handles resolved lazily, an availability flag). The CUDA
 * backend that uses them is not part of this version; the engine runs on the CPU backend.
 */
package dev.normclock.bindings;
