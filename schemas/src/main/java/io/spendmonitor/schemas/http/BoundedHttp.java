package io.spendmonitor.schemas.http;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.ToIntFunction;

/**
 * One HTTP exchange with a deadline on the whole answer, body included, and a cap on the bytes
 * kept. JDK 17's {@code HttpRequest.timeout} stops at the response headers: a server that sends
 * headers and then trickles (or never ends) the body would hold the caller forever, and one that
 * floods it would fill the heap. Every outbound call of ours (notifier, registry client, GPU
 * scrapes) goes through here.
 *
 * <p>{@code bodyLimit} decides per answer (from its status and headers) how many bytes to read:
 * 0 reads nothing (the connection is dropped instead of drained), so a 2xx whose body nobody
 * needs costs nothing however the server behaves. Beyond the limit the answer either fails with
 * {@link BodyTooLargeException} ({@link Overflow#FAIL}: a truncated JSON or metrics page is no
 * answer) or keeps the first bytes ({@link Overflow#TRUNCATE}: an error snippet for a log).
 */
public final class BoundedHttp {
    /** What to do with bytes beyond the limit. */
    public enum Overflow { FAIL, TRUNCATE }

    /** An answer's body exceeded the limit the caller set. */
    public static final class BodyTooLargeException extends IOException {
        public BodyTooLargeException(int limit) {
            super("answer body larger than " + limit + " bytes");
        }
    }

    private BoundedHttp() {
    }

    /** The same limit for every answer. */
    public static HttpResponse<byte[]> send(HttpClient client, HttpRequest request, Duration deadline, int maxBytes,
                                            Overflow overflow) throws IOException, InterruptedException {
        return send(client, request, deadline, info -> maxBytes, overflow);
    }

    /**
     * Sends {@code request} and returns the answer with its (bounded) body, or throws
     * {@link HttpTimeoutException} when the whole answer has not arrived within {@code deadline}
     * (connect, headers and body together). On a timeout or an interrupt the exchange is cancelled,
     * which closes its connection.
     */
    public static HttpResponse<byte[]> send(HttpClient client, HttpRequest request, Duration deadline,
                                            ToIntFunction<HttpResponse.ResponseInfo> bodyLimit, Overflow overflow)
            throws IOException, InterruptedException {
        AtomicReference<CappedBody> body = new AtomicReference<>();
        CompletableFuture<HttpResponse<byte[]>> answer = client.sendAsync(request, info -> {
            CappedBody subscriber = new CappedBody(Math.max(0, bodyLimit.applyAsInt(info)), overflow);
            body.set(subscriber);
            return subscriber;
        });
        try {
            return answer.get(deadline.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            abort(answer, body.get());
            throw new HttpTimeoutException("no complete answer within " + deadline.toMillis() + " ms");
        } catch (InterruptedException e) {
            abort(answer, body.get());
            throw e;
        } catch (CancellationException e) {
            throw new IOException("exchange cancelled", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            while (cause instanceof CompletionException && cause.getCause() != null) {
                cause = cause.getCause();
            }
            if (cause instanceof IOException io) {
                throw io;
            }
            if (cause instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw new IOException(cause);
        }
    }

    private static void abort(CompletableFuture<?> answer, CappedBody body) {
        if (body != null) {
            body.cancel();
        }
        answer.cancel(true);
    }

    /** Collects at most {@code limit} bytes; asks for one batch at a time so nothing piles up unread. */
    private static final class CappedBody implements HttpResponse.BodySubscriber<byte[]> {
        private final int limit;
        private final Overflow overflow;
        private final CompletableFuture<byte[]> result = new CompletableFuture<>();
        private final AtomicReference<Flow.Subscription> subscription = new AtomicReference<>();
        private byte[] bytes = new byte[0];
        private int size;

        CappedBody(int limit, Overflow overflow) {
            this.limit = limit;
            this.overflow = overflow;
        }

        @Override
        public CompletionStage<byte[]> getBody() {
            return result;
        }

        @Override
        public void onSubscribe(Flow.Subscription s) {
            if (!subscription.compareAndSet(null, s)) {
                s.cancel();
                return;
            }
            if (limit == 0) {
                // the caller needs no body: drop the connection rather than drain it
                s.cancel();
                result.complete(new byte[0]);
            } else if (result.isDone()) {
                s.cancel();
            } else {
                s.request(1);
            }
        }

        @Override
        public void onNext(List<ByteBuffer> buffers) {
            if (result.isDone()) {
                return;
            }
            for (ByteBuffer buffer : buffers) {
                int room = limit - size;
                if (buffer.remaining() > room) {
                    append(buffer, room);
                    subscription.get().cancel();
                    if (overflow == Overflow.FAIL) {
                        result.completeExceptionally(new BodyTooLargeException(limit));
                    } else {
                        result.complete(Arrays.copyOf(bytes, size));
                    }
                    return;
                }
                append(buffer, buffer.remaining());
            }
            subscription.get().request(1);
        }

        private void append(ByteBuffer buffer, int count) {
            if (size + count > bytes.length) {
                bytes = Arrays.copyOf(bytes, Math.min(limit, Math.max(size + count, Math.max(256, bytes.length * 2))));
            }
            buffer.get(bytes, size, count);
            size += count;
        }

        @Override
        public void onError(Throwable throwable) {
            result.completeExceptionally(throwable);
        }

        @Override
        public void onComplete() {
            result.complete(Arrays.copyOf(bytes, size));
        }

        /** Stops the transfer (timeout, interrupt): the result fails, the connection is closed. */
        void cancel() {
            result.completeExceptionally(new HttpTimeoutException("answer abandoned"));
            Flow.Subscription s = subscription.getAndSet(CANCELLED);
            if (s != null && s != CANCELLED) {
                s.cancel();
            }
        }

        private static final Flow.Subscription CANCELLED = new Flow.Subscription() {
            @Override
            public void request(long n) {
            }

            @Override
            public void cancel() {
            }
        };
    }
}
