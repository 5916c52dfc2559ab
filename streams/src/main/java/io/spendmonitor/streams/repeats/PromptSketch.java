package io.spendmonitor.streams.repeats;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.Arrays;

/**
 * A HyperLogLog sketch of the distinct prompt hashes of one team window: 2^13 = 8192 one-byte
 * registers, a relative standard error of 1.04 / sqrt(8192) = 1.15 %, whatever the number of calls.
 * Sketches merge (register-wise max), so the distinct prompts of a horizon are the merge of its
 * windows' sketches. Small cardinalities use linear counting (near exact below a few thousand).
 *
 * <p>What it can tell: about how many distinct prompts a set of windows saw. What it cannot: which
 * prompts repeated, how often any one did, or whether two given calls had the same prompt; and an
 * estimate may be off by a few percent (more than 2 % in about 8 cases of 1000 at large counts).
 *
 * <p>Registers are allocated on the first hash (8 KiB); serialized sparse (index, value pairs) while
 * few registers are set, dense otherwise: at most 8 KiB plus a byte. Not thread-safe.
 */
public final class PromptSketch {
    static final int P = 13;
    static final int M = 1 << P;
    private static final byte DENSE = 1;
    private static final byte SPARSE = 2;
    /** alpha_m for m >= 128 (Flajolet et al.). */
    private static final double ALPHA = 0.7213 / (1 + 1.079 / M);

    /** Null until the first hash: a window of calls without hashes costs no registers. */
    private byte[] registers;
    private int nonZero;

    public PromptSketch() {
    }

    private PromptSketch(byte[] registers) {
        this.registers = registers;
        if (registers == null) {
            return;
        }
        for (byte r : registers) {
            if (r != 0) {
                nonZero++;
            }
        }
    }

    /** Adds a 64-bit hash (already uniformly mixed, see {@link #hashOf}). Allocation-free. */
    public void add(long hash) {
        int index = (int) (hash >>> (64 - P));
        // the remaining 51 bits, with a sentinel bit so that the rank is at most 52
        long rest = (hash << P) | (1L << (P - 1));
        byte rank = (byte) (Long.numberOfLeadingZeros(rest) + 1);
        if (registers == null) {
            registers = new byte[M];
        }
        if (rank > registers[index]) {
            if (registers[index] == 0) {
                nonZero++;
            }
            registers[index] = rank;
        }
    }

    /** Makes this the union of itself and {@code other}. */
    public void merge(PromptSketch other) {
        if (other.registers == null) {
            return;
        }
        if (registers == null) {
            registers = new byte[M];
        }
        for (int i = 0; i < M; i++) {
            if (other.registers[i] > registers[i]) {
                if (registers[i] == 0) {
                    nonZero++;
                }
                registers[i] = other.registers[i];
            }
        }
    }

    public PromptSketch copy() {
        return new PromptSketch(registers == null ? null : registers.clone());
    }

    public boolean isEmpty() {
        return nonZero == 0;
    }

    /** The estimated number of distinct hashes added (and merged). */
    public double estimate() {
        if (registers == null) {
            return 0;
        }
        double sum = 0;
        int zeros = 0;
        for (byte r : registers) {
            sum += Math.scalb(1.0, -r);
            if (r == 0) {
                zeros++;
            }
        }
        double raw = ALPHA * M * M / sum;
        if (raw <= 2.5 * M && zeros > 0) {
            return M * Math.log((double) M / zeros); // linear counting
        }
        return raw; // 64-bit hashes: no large-range correction needed at any count we will see
    }

    /**
     * A prompt_hash (16..128 hex characters, already a cryptographic hash) as 64 well-mixed bits:
     * every 16-character chunk is folded in and mixed, so hashes that differ anywhere differ here,
     * and a client sending non-random "hashes" (0000...) only skews its own team's numbers.
     */
    public static long hashOf(String promptHash) {
        long h = 0x9E3779B97F4A7C15L;
        int n = promptHash.length();
        for (int from = 0; from < n; from += 16) {
            long chunk = 0;
            int to = Math.min(n, from + 16);
            for (int i = from; i < to; i++) {
                chunk = (chunk << 4) | Character.digit(promptHash.charAt(i), 16) & 0xF;
            }
            h = mix(h ^ chunk ^ ((long) to << 56));
        }
        return h;
    }

    /** MurmurHash3's 64-bit finalizer. */
    static long mix(long z) {
        z = (z ^ (z >>> 33)) * 0xff51afd7ed558ccdL;
        z = (z ^ (z >>> 33)) * 0xc4ceb9fe1a85ec53L;
        return z ^ (z >>> 33);
    }

    public void writeTo(DataOutputStream out) throws IOException {
        if (nonZero * 3 < M) {
            out.writeByte(SPARSE);
            out.writeShort(nonZero);
            for (int i = 0; nonZero > 0 && i < M; i++) {
                if (registers[i] != 0) {
                    out.writeShort(i);
                    out.writeByte(registers[i]);
                }
            }
        } else {
            out.writeByte(DENSE);
            out.write(registers);
        }
    }

    public static PromptSketch readFrom(DataInputStream in) throws IOException {
        byte kind = in.readByte();
        byte[] registers = new byte[M];
        boolean any = kind == DENSE;
        if (kind == DENSE) {
            in.readFully(registers);
        } else if (kind == SPARSE) {
            int n = in.readUnsignedShort();
            for (int k = 0; k < n; k++) {
                int index = in.readUnsignedShort();
                byte value = in.readByte();
                if (index >= M || value < 0 || value > 64 - P + 1) {
                    throw new IOException("corrupt prompt sketch register " + index + "=" + value);
                }
                registers[index] = value;
                any = true;
            }
        } else {
            throw new IOException("unknown prompt sketch encoding " + kind);
        }
        return new PromptSketch(any ? registers : null);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PromptSketch s && Arrays.equals(dense(), s.dense());
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(dense());
    }

    private byte[] dense() {
        return registers == null ? new byte[M] : registers;
    }
}
