package io.spendmonitor.streams.notify;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Delivers to one channel, on its own thread, one transition at a time and in the order consumed
 * (a RESOLVED never overtakes its FIRING), with that channel's retries. A dead endpoint stalls
 * only its own channel, and only until its transitions run out of attempts or age.
 */
final class ChannelWorker {
    private static final Logger log = LoggerFactory.getLogger(ChannelWorker.class);

    private final AlertChannel channel;
    private final RetryPolicy retry;
    private final NotifierMetrics metrics;
    private final BlockingQueue<PendingTransition> queue = new LinkedBlockingQueue<>();
    /** alert_ids this process delivered to this channel, least recently seen evicted first; worker thread only. */
    private final Map<String, Boolean> delivered;
    private final CountDownLatch stopSignal = new CountDownLatch(1);
    private final Thread thread;
    private volatile boolean stopping;

    ChannelWorker(AlertChannel channel, RetryPolicy retry, int dedupeSize, NotifierMetrics metrics) {
        this.channel = channel;
        this.retry = retry;
        this.metrics = metrics;
        this.delivered = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
                return size() > dedupeSize;
            }
        };
        this.thread = new Thread(this::run, "spend-notifier-" + channel.name());
        this.thread.setDaemon(true);
    }

    String name() {
        return channel.name();
    }

    void start() {
        thread.start();
    }

    void enqueue(PendingTransition transition) {
        queue.add(transition);
    }

    /** Stops at once: a backoff wait ends, an attempt in flight is interrupted (its transition stays uncommitted). */
    void stop() {
        stopping = true;
        stopSignal.countDown();
        thread.interrupt();
    }

    boolean join(Duration timeout) throws InterruptedException {
        if (thread.isAlive()) {
            thread.join(Math.max(1, timeout.toMillis()));
        }
        return !thread.isAlive();
    }

    private void run() {
        try {
            while (!stopping) {
                PendingTransition next = queue.take();
                if (!next.isCancelled()) {
                    deliver(next);
                }
            }
        } catch (InterruptedException e) {
            // stopping
        } catch (RuntimeException e) {
            log.error("alert channel {} stopped on an unexpected error; its transitions stay uncommitted", channel.name(), e);
        }
    }

    private void deliver(PendingTransition transition) throws InterruptedException {
        String alertId = transition.alert().getAlertId();
        if (delivered.containsKey(alertId)) {
            metrics.count(channel.name(), NotifierMetrics.Result.DUPLICATE);
            log.info("{}: {} was already delivered by this process, not sending it again", channel.name(), alertId);
            transition.channelFinished(channel.name());
            return;
        }
        int attempts = 0;
        while (!stopping && !transition.isCancelled()) {
            attempts++;
            DeliveryOutcome outcome;
            try {
                outcome = channel.deliver(transition.alert());
            } catch (RuntimeException e) {
                // a defect in formatting this transition: another try would fail the same way
                outcome = DeliveryOutcome.permanent("unexpected error: " + e);
                log.error("{}: unexpected error delivering {}", channel.name(), alertId, e);
            }
            switch (outcome.kind()) {
                case SENT -> {
                    metrics.count(channel.name(), NotifierMetrics.Result.SENT);
                    delivered.put(alertId, Boolean.TRUE);
                    log.debug("{}: delivered {} (attempt {})", channel.name(), alertId, attempts);
                    transition.channelFinished(channel.name());
                    return;
                }
                case PERMANENT -> {
                    metrics.count(channel.name(), NotifierMetrics.Result.FAILED);
                    log.warn("{}: could not deliver {}, not retrying: {}", channel.name(), alertId, outcome.detail());
                    transition.channelFinished(channel.name());
                    return;
                }
                case RETRYABLE -> {
                    Duration delay = retry.delay(attempts, outcome.retryAfter());
                    Duration ageAtNext = Duration.ofNanos(System.nanoTime() - transition.consumedAtNanos()).plus(delay);
                    if (retry.givesUp(attempts, ageAtNext)) {
                        metrics.count(channel.name(), NotifierMetrics.Result.FAILED);
                        log.warn("{}: gave up on {} after {} attempt(s): {}", channel.name(), alertId, attempts, outcome.detail());
                        transition.channelFinished(channel.name());
                        return;
                    }
                    metrics.count(channel.name(), NotifierMetrics.Result.RETRIED);
                    log.info("{}: attempt {} for {} failed ({}), retrying in {} ms", channel.name(), attempts, alertId,
                            outcome.detail(), delay.toMillis());
                    if (stopSignal.await(delay.toMillis(), TimeUnit.MILLISECONDS)) {
                        return;
                    }
                }
            }
        }
    }
}
