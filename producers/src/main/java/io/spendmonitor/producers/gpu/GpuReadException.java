package io.spendmonitor.producers.gpu;

/** A source could not be read this time (nvidia-smi failed or timed out, the exporter is down); the collector retries next interval. */
public class GpuReadException extends Exception {
    public GpuReadException(String message) {
        super(message);
    }

    public GpuReadException(String message, Throwable cause) {
        super(message, cause);
    }
}
