package io.spendmonitor.producers.gpu;

import io.spendmonitor.schemas.http.BoundedHttp;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * A vLLM server's {@code /metrics} page ({@link VllmPage}). The timeout bounds the whole scrape,
 * body included, and a page above {@value #MAX_PAGE_BYTES} bytes is refused: a hung or runaway
 * server costs its deployment's token counts for one interval, never the collector.
 */
public interface VllmSource {
    /** vLLM's page (histograms included) is a few hundred KiB at most. */
    int MAX_PAGE_BYTES = 4 * 1024 * 1024;

    VllmPage read() throws GpuReadException;

    String describe();

    /** Scrapes {@code url} over HTTP. */
    static VllmSource http(URI url, Duration timeout) {
        if (url == null || url.getScheme() == null || !(url.getScheme().equals("http") || url.getScheme().equals("https"))) {
            throw new IllegalArgumentException("vLLM metrics URL must be http:// or https://, got " + url);
        }
        if (timeout == null || timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("vLLM scrape timeout must be positive");
        }
        HttpClient http = HttpClient.newBuilder().connectTimeout(timeout).build();
        return new VllmSource() {
            @Override
            public VllmPage read() throws GpuReadException {
                HttpResponse<byte[]> response;
                try {
                    response = BoundedHttp.send(http, HttpRequest.newBuilder(url).timeout(timeout).header("Accept", "text/plain").GET().build(),
                            timeout, info -> info.statusCode() == 200 ? MAX_PAGE_BYTES : 0, BoundedHttp.Overflow.FAIL);
                } catch (IOException e) {
                    throw new GpuReadException("cannot read the vLLM metrics at " + url + ": " + e, e);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new GpuReadException("interrupted while reading the vLLM metrics at " + url, e);
                }
                if (response.statusCode() != 200) {
                    throw new GpuReadException("the vLLM server at " + url + " answered HTTP " + response.statusCode());
                }
                return VllmPage.parse(new String(response.body(), StandardCharsets.UTF_8));
            }

            @Override
            public String describe() {
                return "vLLM (" + url + ")";
            }
        };
    }
}
