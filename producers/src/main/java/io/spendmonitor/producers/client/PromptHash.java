package io.spendmonitor.producers.client;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.text.Normalizer;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;

/**
 * The {@code prompt_hash} of a call, computed in the calling service: the prompt never leaves it.
 * SHA-256 (or, with a per-company secret, HMAC-SHA256: then nobody without the secret can test a
 * guessed prompt against a hash) of the normalised request: the model and the messages (role and
 * content) or the prompt. Normalised: Unicode NFC, whitespace runs as one space, trimmed; so two
 * requests that differ only in spacing hash alike, and any other difference (a word, a role, the
 * order of messages, the model) gives another hash. Each part is length-prefixed, so no two
 * different requests encode alike. 64 lower-case hex characters.
 *
 * <p>Thread-safe (a {@link Mac} or digest per call).
 */
public final class PromptHash {
    /** One message of a chat request. */
    public record Message(String role, String content) {
        public Message {
            Objects.requireNonNull(role, "role");
            Objects.requireNonNull(content, "content");
        }
    }

    private static final byte[] VERSION = "spend-monitor prompt v1".getBytes(StandardCharsets.UTF_8);
    private final byte[] key;

    private PromptHash(byte[] key) {
        this.key = key;
    }

    /** Plain SHA-256: the same request gives the same hash in every company. */
    public static PromptHash unkeyed() {
        return new PromptHash(null);
    }

    /** HMAC-SHA256 keyed by a per-company secret (at least 16 bytes); keep the secret out of the events. */
    public static PromptHash keyed(byte[] companySecret) {
        Objects.requireNonNull(companySecret, "companySecret");
        if (companySecret.length < 16) {
            throw new IllegalArgumentException("the prompt-hash secret must be at least 16 bytes");
        }
        return new PromptHash(companySecret.clone());
    }

    /** The hash of a chat request: the model and its messages, in order. */
    public String of(String model, List<Message> messages) {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(messages, "messages");
        Sink sink = sink();
        sink.part("chat");
        sink.part(normalise(model));
        for (Message m : messages) {
            sink.part(normalise(m.role()));
            sink.part(normalise(m.content()));
        }
        return sink.hex();
    }

    /** The hash of a completion request: the model and its prompt. */
    public String ofPrompt(String model, String prompt) {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(prompt, "prompt");
        Sink sink = sink();
        sink.part("prompt");
        sink.part(normalise(model));
        sink.part(normalise(prompt));
        return sink.hex();
    }

    /** NFC, every run of whitespace as one space, no leading or trailing whitespace. */
    static String normalise(String text) {
        String nfc = Normalizer.normalize(text, Normalizer.Form.NFC);
        StringBuilder out = new StringBuilder(nfc.length());
        boolean space = false;
        for (int i = 0; i < nfc.length(); ) {
            int cp = nfc.codePointAt(i);
            i += Character.charCount(cp);
            if (Character.isWhitespace(cp) || Character.isSpaceChar(cp)) {
                space = out.length() > 0;
                continue;
            }
            if (space) {
                out.append(' ');
                space = false;
            }
            out.appendCodePoint(cp);
        }
        return out.toString();
    }

    private Sink sink() {
        try {
            if (key == null) {
                MessageDigest digest = MessageDigest.getInstance("SHA-256");
                Sink s = new Sink(digest, null);
                s.part(VERSION);
                return s;
            }
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            Sink s = new Sink(null, mac);
            s.part(VERSION);
            return s;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    /** Length-prefixed parts into a digest or a MAC. */
    private record Sink(MessageDigest digest, Mac mac) {
        void part(String text) {
            part(text.getBytes(StandardCharsets.UTF_8));
        }

        void part(byte[] bytes) {
            byte[] length = ByteBuffer.allocate(4).putInt(bytes.length).array();
            update(length);
            update(bytes);
        }

        private void update(byte[] bytes) {
            if (digest != null) {
                digest.update(bytes);
            } else {
                mac.update(bytes);
            }
        }

        String hex() {
            return HexFormat.of().formatHex(digest != null ? digest.digest() : mac.doFinal());
        }
    }
}
