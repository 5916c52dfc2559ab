package io.spendmonitor.streams.topology;

/**
 * The 64-bit hashes of the event ids counted in this partition's open minute windows: an
 * open-addressing set of primitive longs (no boxing, 8 bytes an id at a load of at most a half),
 * with deletion, so a window's ids leave the set when the window is final.
 *
 * <p>Two different ids collide with probability about n / 2^64 (n ids in the set): at a million
 * open ids, once in 10^13 events. A collision counts the second event as a duplicate; the
 * trade buys the de-duplication at the price of a hash-set lookup instead of a state record
 * per event (docs/BENCHMARKS.md).
 */
public final class EventIdSet {
    /** Stands for the hash 0 in the table, where 0 marks an empty slot. */
    private static final long ZERO_STAND_IN = 0x9E3779B97F4A7C15L;

    private long[] slots = new long[1024];
    private int size;

    /**
     * A well-mixed 64-bit hash of an event id: FNV-1a over its UTF-16 code units, then murmur3's
     * finalizer. Stored in the open-window-ids store, so it must never change between versions.
     */
    public static long hash(String eventId) {
        long h = 0xcbf29ce484222325L;
        for (int i = 0; i < eventId.length(); i++) {
            h ^= eventId.charAt(i);
            h *= 0x100000001b3L;
        }
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb9fe1a85ec53L;
        h ^= h >>> 33;
        return h == 0 ? ZERO_STAND_IN : h;
    }

    int size() {
        return size;
    }

    /** Adds the hash; false when it was already there. */
    public boolean add(long hash) {
        hash = stored(hash);
        if ((size + 1) * 2 > slots.length) {
            resize(slots.length * 2);
        }
        int i = slot(hash);
        if (slots[i] == hash) {
            return false;
        }
        slots[i] = hash;
        size++;
        return true;
    }

    public boolean contains(long hash) {
        hash = stored(hash);
        return slots[slot(hash)] == hash;
    }

    /** Removes the hash (backward-shift deletion keeps every probe chain intact); false when absent. */
    public boolean remove(long hash) {
        hash = stored(hash);
        int i = slot(hash);
        if (slots[i] != hash) {
            return false;
        }
        int mask = slots.length - 1;
        int hole = i;
        int j = i;
        while (true) {
            j = (j + 1) & mask;
            long moved = slots[j];
            if (moved == 0) {
                break;
            }
            int home = index(moved, mask);
            // move the entry back into the hole unless its home lies cyclically in (hole, j]
            boolean homeBetween = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
            if (!homeBetween) {
                slots[hole] = moved;
                hole = j;
            }
        }
        slots[hole] = 0;
        size--;
        if (slots.length > 1024 && size * 8 < slots.length) {
            resize(slots.length / 2);
        }
        return true;
    }

    public void clear() {
        slots = new long[1024];
        size = 0;
    }

    /** 0 marks an empty slot, so the hash 0 is stored as a stand-in. */
    private static long stored(long hash) {
        return hash == 0 ? ZERO_STAND_IN : hash;
    }

    /** The slot that holds the hash, or the empty slot where it would go (linear probing). */
    private int slot(long hash) {
        int mask = slots.length - 1;
        int i = index(hash, mask);
        while (slots[i] != 0 && slots[i] != hash) {
            i = (i + 1) & mask;
        }
        return i;
    }

    private static int index(long hash, int mask) {
        return (int) (hash ^ (hash >>> 32)) & mask;
    }

    private void resize(int capacity) {
        long[] old = slots;
        slots = new long[capacity];
        int mask = capacity - 1;
        for (long h : old) {
            if (h != 0) {
                int i = index(h, mask);
                while (slots[i] != 0) {
                    i = (i + 1) & mask;
                }
                slots[i] = h;
            }
        }
    }
}
