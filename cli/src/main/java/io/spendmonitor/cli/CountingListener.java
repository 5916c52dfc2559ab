package io.spendmonitor.cli;

import io.spendmonitor.streams.topology.SpendListener;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/** bench's listener: counts the events the topology processed and notes when the first one came. */
final class CountingListener implements SpendListener {
    final LongAdder processed = new LongAdder();
    /** System.nanoTime() of the first processed event; 0 before it. */
    final AtomicLong first = new AtomicLong();

    @Override
    public void processed() {
        if (first.get() == 0) {
            first.compareAndSet(0, System.nanoTime());
        }
        processed.increment();
    }
}
