package io.spendmonitor.streams.topology;

import org.apache.kafka.streams.processor.api.ProcessorContext;

/**
 * Gives the nodes of one task their shared {@link OpenWindows}, kept by the task's commit-hook
 * store (one per task) and flushed / discarded with it.
 */
final class TaskBuffers {
    private final long windowMs;
    private final long graceMs;
    private final long repeatsHorizonMs;
    private final CommittedSpend committed;

    TaskBuffers(long windowMs, long graceMs) {
        this(windowMs, graceMs, 3_600_000L, null);
    }

    /** @param committed where the repeat totals are exported once committed (null: not exported) */
    TaskBuffers(long windowMs, long graceMs, long repeatsHorizonMs, CommittedSpend committed) {
        this.windowMs = windowMs;
        this.graceMs = graceMs;
        this.repeatsHorizonMs = repeatsHorizonMs;
        this.committed = committed;
    }

    /** The task's repeated-prompt buffer, written at the same commit hook as its open windows. */
    RepeatBuffer repeats(ProcessorContext<?, ?> context) {
        CommitHookStore hook = context.getStateStore(SpendTopology.COMMIT_HOOK_STORE);
        return hook.shared(RepeatBuffer.class, () -> {
            RepeatBuffer repeats = new RepeatBuffer(windowMs, repeatsHorizonMs, context.getStateStore(SpendTopology.REPEAT_STORE),
                    context.getStateStore(SpendTopology.REPEAT_TOTALS_STORE), committed);
            hook.listener(new CommitHookStore.Listener() {
                @Override
                public void flushBuffered() {
                    repeats.flush();
                }

                @Override
                public void discardBuffered() {
                    repeats.discard();
                }

                @Override
                public void closed() {
                    repeats.closed();
                }
            });
            return repeats;
        });
    }

    OpenWindows openWindows(ProcessorContext<?, ?> context) {
        CommitHookStore hook = context.getStateStore(SpendTopology.COMMIT_HOOK_STORE);
        return hook.shared(OpenWindows.class, () -> {
            OpenWindows windows = new OpenWindows(windowMs, graceMs, context.getStateStore(SpendTopology.WINDOW_IDS_STORE),
                    context.getStateStore(SpendTopology.WINDOW_STORE), context.getStateStore(SpendTopology.CLOCK_STORE));
            hook.listener(new CommitHookStore.Listener() {
                @Override
                public void flushBuffered() {
                    windows.flush();
                }

                @Override
                public void discardBuffered() {
                    windows.discard();
                }
            });
            return windows;
        });
    }
}
