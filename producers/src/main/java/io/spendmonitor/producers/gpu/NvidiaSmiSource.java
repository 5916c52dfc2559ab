package io.spendmonitor.producers.gpu;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Reads the node's GPUs with {@code nvidia-smi --query-gpu=... --format=csv,noheader,nounits}.
 * A run that fails, hangs past the timeout or prints nothing usable is a {@link GpuReadException};
 * a field nvidia-smi cannot tell ({@code [N/A]}, {@code [Not Supported]}, ...) is read as unknown.
 */
public final class NvidiaSmiSource implements GpuSource {
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);
    /** The fields queried, in the order of the CSV columns. */
    public static final String QUERY = "index,uuid,name,utilization.gpu,memory.used,memory.total,power.draw";
    static final long MIB = 1024L * 1024L;

    private static final Logger log = LoggerFactory.getLogger(NvidiaSmiSource.class);
    private static final int COLUMNS = 7;

    private final String executable;
    private final Duration timeout;

    public NvidiaSmiSource(String executable, Duration timeout) {
        if (executable == null || executable.isBlank()) {
            throw new IllegalArgumentException("nvidia-smi path is empty");
        }
        if (timeout == null || timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("nvidia-smi timeout must be positive");
        }
        this.executable = executable;
        this.timeout = timeout;
    }

    /** The command line run each interval. */
    public List<String> command() {
        return List.of(executable, "--query-gpu=" + QUERY, "--format=csv,noheader,nounits");
    }

    @Override
    public String describe() {
        return "nvidia-smi (" + executable + ")";
    }

    @Override
    public List<GpuReading> read() throws GpuReadException {
        Path out = null;
        Path err = null;
        try {
            // output goes to files, not pipes: a hung child still holding a pipe cannot block us past the timeout
            out = Files.createTempFile("nvidia-smi", ".out");
            err = Files.createTempFile("nvidia-smi", ".err");
            Process process;
            try {
                process = new ProcessBuilder(command()).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            } catch (IOException e) {
                throw new GpuReadException("cannot run '" + executable + "': " + e.getMessage(), e);
            }
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
                throw new GpuReadException("'" + executable + "' did not answer within " + timeout.toSeconds() + " s; killed it");
            }
            String stdout = Files.readString(out, StandardCharsets.UTF_8);
            if (process.exitValue() != 0) {
                String stderr = Files.readString(err, StandardCharsets.UTF_8);
                throw new GpuReadException("'" + executable + "' exited with " + process.exitValue() + ": "
                        + firstLine(stderr.isBlank() ? stdout : stderr));
            }
            return parse(stdout);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new GpuReadException("interrupted while waiting for '" + executable + "'", e);
        } catch (IOException e) {
            throw new GpuReadException("cannot read the output of '" + executable + "': " + e.getMessage(), e);
        } finally {
            deleteQuietly(out);
            deleteQuietly(err);
        }
    }

    /**
     * Parses the CSV nvidia-smi prints for {@link #QUERY}: one GPU per line. Lines that are not 7 fields
     * with an index are skipped with a warning; no usable line at all is a {@link GpuReadException}.
     */
    static List<GpuReading> parse(String csv) throws GpuReadException {
        List<GpuReading> readings = new ArrayList<>();
        List<String> garbage = new ArrayList<>();
        for (String line : csv.split("\\R")) {
            if (line.isBlank()) {
                continue;
            }
            String[] fields = line.split(",", -1);
            if (fields.length != COLUMNS || known(fields[0]) == null || !fields[0].trim().matches("\\d+")) {
                garbage.add(line.trim());
                continue;
            }
            String index = fields[0].trim();
            Double percent = number(fields[3]);
            Double used = number(fields[4]);
            Double total = number(fields[5]);
            Double power = number(fields[6]);
            readings.add(new GpuReading(index, known(fields[1]), known(fields[2]),
                    percent == null || percent < 0 || percent > 100 ? null : percent / 100.0,
                    mebibytes(used), mebibytes(total),
                    power == null || power < 0 ? null : power,
                    null, null, null, null));
        }
        if (!garbage.isEmpty()) {
            log.warn("nvidia-smi printed {} line(s) that are not GPUs, ignored: {}", garbage.size(), firstLine(garbage.get(0)));
        }
        if (readings.isEmpty()) {
            throw new GpuReadException("nvidia-smi printed no GPU line" + (garbage.isEmpty() ? "" : ": " + firstLine(garbage.get(0))));
        }
        return readings;
    }

    /** The field's text, or null for nvidia-smi's "cannot tell" answers ({@code [N/A]}, {@code [Not Supported]}, {@code [Unknown Error]}, ...). */
    private static String known(String field) {
        String value = field.trim();
        if (value.isEmpty() || value.startsWith("[") || value.toUpperCase(Locale.ROOT).equals("N/A")) {
            return null;
        }
        return value;
    }

    private static Double number(String field) {
        String value = known(field);
        if (value == null) {
            return null;
        }
        try {
            double parsed = Double.parseDouble(value);
            return Double.isFinite(parsed) ? parsed : null;
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static long mebibytes(Double value) {
        return value == null || value < 0 ? 0 : Math.round(value * MIB);
    }

    private static String firstLine(String text) {
        String trimmed = text.strip();
        int end = trimmed.indexOf('\n');
        String line = end < 0 ? trimmed : trimmed.substring(0, end).strip();
        return line.length() > 200 ? line.substring(0, 200) + "..." : line;
    }

    private static void deleteQuietly(Path file) {
        if (file != null) {
            try {
                Files.deleteIfExists(file);
            } catch (IOException ignored) {
                // a leftover temp file is harmless
            }
        }
    }
}
