package io.spendmonitor.cluster;

import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A server on 127.0.0.1 that answers every request with a status and its headers at once, then
 * misbehaves in the body: stalls (never sends it), trickles it (a byte every 10 ms, forever) or
 * floods it (as fast as the client reads, forever). Everything stops when the client goes away or
 * the server is closed. For the tests of every HTTP client of the project (registry, notifier, scrapers).
 */
public final class MisbehavingHttpServer implements AutoCloseable {
    public enum Body { STALL, TRICKLE, FLOOD }

    private final HttpServer server;
    private final ExecutorService executor = Executors.newCachedThreadPool(r -> {
        Thread thread = new Thread(r, "misbehaving-http");
        thread.setDaemon(true);
        return thread;
    });
    private final CountDownLatch closed = new CountDownLatch(1);
    private final AtomicInteger requests = new AtomicInteger();

    private MisbehavingHttpServer(int status, Body body) throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(executor);
        server.createContext("/", exchange -> {
            requests.incrementAndGet();
            exchange.getRequestBody().readAllBytes();
            exchange.sendResponseHeaders(status, 0); // chunked: the length is not known
            try (OutputStream out = exchange.getResponseBody()) {
                out.write("{\"x\":".getBytes());
                out.flush();
                switch (body) {
                    case STALL -> closed.await();
                    case TRICKLE -> {
                        while (!closed.await(10, TimeUnit.MILLISECONDS)) {
                            out.write(' ');
                            out.flush();
                        }
                    }
                    case FLOOD -> {
                        byte[] chunk = new byte[64 * 1024];
                        Arrays.fill(chunk, (byte) ' ');
                        while (closed.getCount() > 0) {
                            out.write(chunk);
                        }
                    }
                }
            } catch (IOException e) {
                // the client went away: what a bounded client does
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        server.start();
    }

    public static MisbehavingHttpServer start(int status, Body body) {
        try {
            return new MisbehavingHttpServer(status, body);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + path);
    }

    public int requests() {
        return requests.get();
    }

    @Override
    public void close() {
        closed.countDown();
        server.stop(0);
        executor.shutdownNow();
    }
}
