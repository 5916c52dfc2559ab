package io.spendmonitor.streams.notify;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.spendmonitor.avro.SpendAlert;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.util.HexFormat;
import java.util.Map;

/**
 * POSTs each transition as JSON ({@link AlertJson}: the Avro fields in snake_case, money as
 * decimal strings) with three headers:
 * <ul>
 *   <li>{@code X-Spend-Timestamp}: when this attempt was sent, Unix seconds.</li>
 *   <li>{@code X-Spend-Signature: sha256=<hex>}: HMAC-SHA256, keyed with the shared secret, of
 *       {@code <timestamp> "." <exact body bytes>}. The timestamp is signed too, so a captured
 *       request cannot be replayed later: a receiver recomputes the HMAC over the raw body before
 *       parsing, compares in constant time and refuses a timestamp more than 5 minutes from its
 *       own clock (the README shows it).</li>
 *   <li>{@code Idempotency-Key}: the alert_id, the same on every retry and redelivery, so a receiver
 *       that remembers keys acts once per transition. (An alert_id with characters a header cannot
 *       carry is sent as {@code sha256-<hex of the alert_id>}.)</li>
 * </ul>
 * The secret is never logged, and the URL only by host.
 */
public final class WebhookChannel implements AlertChannel {
    public static final String NAME = "webhook";
    public static final String SIGNATURE_HEADER = "X-Spend-Signature";
    public static final String TIMESTAMP_HEADER = "X-Spend-Timestamp";
    public static final String IDEMPOTENCY_HEADER = "Idempotency-Key";

    private final URI url;
    private final SecretKeySpec key;
    private final HttpSender http;
    private final Clock clock;

    public WebhookChannel(URI url, String secret, HttpSender http) {
        this(url, secret, http, Clock.systemUTC());
    }

    WebhookChannel(URI url, String secret, HttpSender http, Clock clock) {
        if (secret == null || secret.isEmpty()) {
            throw new IllegalArgumentException("the webhook channel needs a shared secret to sign its requests");
        }
        this.url = url;
        this.key = new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256");
        this.http = http;
        this.clock = clock;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public DeliveryOutcome deliver(SpendAlert alert) throws InterruptedException {
        byte[] body;
        try {
            body = AlertJson.MAPPER.writeValueAsBytes(AlertJson.toJson(alert));
        } catch (JsonProcessingException e) {
            return DeliveryOutcome.permanent("cannot write the webhook body: " + e.getOriginalMessage());
        }
        String timestamp = String.valueOf(clock.instant().getEpochSecond());
        return http.postJson(url, body, Map.of(
                SIGNATURE_HEADER, "sha256=" + sign(timestamp, body),
                TIMESTAMP_HEADER, timestamp,
                IDEMPOTENCY_HEADER, idempotencyKey(alert.getAlertId())));
    }

    /** Lower-case hex HMAC-SHA256 of {@code timestamp + "." + body}. */
    String sign(String timestamp, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            mac.update(timestamp.getBytes(StandardCharsets.US_ASCII));
            mac.update((byte) '.');
            return HexFormat.of().formatHex(mac.doFinal(body));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available in this JVM", e);
        }
    }

    /** The alert_id when it is printable ASCII (as alert ids are), else a stable hash of it. */
    static String idempotencyKey(String alertId) {
        boolean printable = !alertId.isEmpty() && alertId.chars().allMatch(c -> c >= 0x20 && c < 0x7f);
        return printable ? alertId : "sha256-" + sha256Hex(alertId);
    }

    static String sha256Hex(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available in this JVM", e);
        }
    }
}
