package io.spendmonitor.streams.topology;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class EventIdSetTest {

    @Test
    void behavesLikeAHashSetThroughGrowthShrinkingAndDeletionsInsideProbeChains() {
        EventIdSet set = new EventIdSet();
        Set<Long> reference = new HashSet<>();
        List<Long> present = new ArrayList<>();
        Random random = new Random(7);
        for (int step = 0; step < 300_000; step++) {
            // a small key space (with 0 and neighbours that share table slots) makes long probe chains
            long key = random.nextInt(4) == 0 ? random.nextInt(64) * 1024L : random.nextLong() % 50_000;
            if (random.nextInt(3) == 0 && !present.isEmpty()) {
                key = present.get(random.nextInt(present.size()));
                assertThat(set.remove(key)).isEqualTo(reference.remove(key));
            } else {
                assertThat(set.add(key)).isEqualTo(reference.add(key));
                present.add(key);
            }
            if (step % 1000 == 0) {
                for (int probe = 0; probe < 200; probe++) {
                    long k = present.get(random.nextInt(present.size()));
                    assertThat(set.contains(k)).as("key %d", k).isEqualTo(reference.contains(k));
                }
            }
            assertThat(set.size()).isEqualTo(reference.size());
        }
        for (long k : reference) {
            assertThat(set.contains(k)).isTrue();
        }
        for (long k : new ArrayList<>(reference)) {
            assertThat(set.remove(k)).isTrue();
        }
        assertThat(set.size()).isZero();
    }

    @Test
    void theHashOfAnIdNeverChangesBecauseItIsStored() {
        // pinned when the id store was introduced: ids stored by one version are read back by the next
        assertThat(Long.toHexString(EventIdSet.hash("a"))).isEqualTo("82a2a958a9bece5b");
        assertThat(Long.toHexString(EventIdSet.hash("chaos-1"))).isEqualTo("caee7762f12d407d");
        assertThat(Long.toHexString(EventIdSet.hash(""))).isEqualTo("efd01f60ba992926");
    }
}
