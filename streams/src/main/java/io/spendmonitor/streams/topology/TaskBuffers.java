package io.spendmonitor.streams.topology;

import org.apache.kafka.streams.processor.api.ProcessorContext;

/**
 * Gives the nodes of one task their shared {@link OpenWindows}, kept by the task's commit-hook
 * store (one per task) and flushed / discarded with it.
 */
final class TaskBuffers {
    private final long windowMs;
    private final long graceMs;

    TaskBuffers(long windowMs, long graceMs) {
        this.windowMs = windowMs;
        this.graceMs = graceMs;
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
