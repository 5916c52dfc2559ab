package io.spendmonitor.producers.gpu;

import java.util.List;

/** Where GPU readings come from: {@link NvidiaSmiSource} or {@link DcgmExporterSource}. */
public interface GpuSource {

    /** The node's GPUs now; a GPU whose utilization the source could not tell has a null utilization. */
    List<GpuReading> read() throws GpuReadException;

    /** One line naming the source, for logs. */
    String describe();
}
