package io.spendmonitor.streams.notify;

import io.micrometer.core.instrument.MeterRegistry;
import io.spendmonitor.avro.SpendAlert;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Hands each transition to the channels its route selects, one {@link ChannelWorker} per channel,
 * and tracks when it is done. Knows nothing of Kafka: {@link AlertNotifier} feeds it and commits
 * what it reports done.
 */
final class AlertDispatcher {
    private final Map<String, ChannelWorker> workers = new LinkedHashMap<>();
    private final List<String> channelNames;
    private final AlertRoutes routes;
    private final AtomicInteger pending = new AtomicInteger();
    private final NotifierMetrics metrics;
    private final Object progress = new Object();

    AlertDispatcher(List<AlertChannel> channels, AlertRoutes routes, RetryPolicy retry, int dedupeSize, MeterRegistry registry) {
        List<String> names = new ArrayList<>();
        for (AlertChannel channel : channels) {
            if (names.contains(channel.name())) {
                throw new IllegalArgumentException("two channels are named '" + channel.name() + "'");
            }
            names.add(channel.name());
        }
        for (String named : routes.namedChannels()) {
            if (!names.contains(named)) {
                throw new IllegalArgumentException("the routes name channel '" + named + "', which is not configured");
            }
        }
        this.channelNames = List.copyOf(names);
        this.routes = routes;
        this.metrics = new NotifierMetrics(registry, names, pending);
        for (AlertChannel channel : channels) {
            workers.put(channel.name(), new ChannelWorker(channel, retry, dedupeSize, metrics));
        }
    }

    void start() {
        workers.values().forEach(ChannelWorker::start);
    }

    NotifierMetrics metrics() {
        return metrics;
    }

    /** The channels {@code alert} goes to. */
    List<String> route(SpendAlert alert) {
        return routes.channelsFor(alert.getTeam(), alert.getType(), channelNames);
    }

    /** Routes {@code alert} and queues it on its channels; the result is already done when no channel takes it. */
    PendingTransition submit(SpendAlert alert) {
        return submit(alert, route(alert));
    }

    /** Queues {@code alert} on {@code targets}; the result is already done when there are none. */
    PendingTransition submit(SpendAlert alert, List<String> targets) {
        PendingTransition transition = new PendingTransition(alert, targets, System.nanoTime(), this::settled);
        if (!targets.isEmpty()) {
            pending.incrementAndGet();
            for (String target : targets) {
                workers.get(target).enqueue(transition);
            }
        }
        return transition;
    }

    /** Transitions submitted and neither done nor cancelled. */
    int pending() {
        return pending.get();
    }

    /** Waits until each of {@code transitions} is done or cancelled, or {@code deadlineNanos} (System.nanoTime()) passes. */
    boolean awaitSettled(Collection<PendingTransition> transitions, long deadlineNanos) throws InterruptedException {
        synchronized (progress) {
            while (true) {
                if (transitions.stream().allMatch(t -> t.isDone() || t.isCancelled())) {
                    return true;
                }
                long left = deadlineNanos - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                TimeUnit.NANOSECONDS.timedWait(progress, left);
            }
        }
    }

    /** Stops every worker and waits for them up to {@code timeout}. */
    void stop(Duration timeout) throws InterruptedException {
        workers.values().forEach(ChannelWorker::stop);
        long deadline = System.nanoTime() + timeout.toNanos();
        for (ChannelWorker worker : workers.values()) {
            worker.join(Duration.ofNanos(Math.max(deadline - System.nanoTime(), 1_000_000)));
        }
    }

    private void settled(PendingTransition transition) {
        pending.decrementAndGet();
        synchronized (progress) {
            progress.notifyAll();
        }
    }
}
