package io.spendmonitor.streams.http;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * A shared secret presented as {@code Authorization: Bearer <token>}. Checked in constant time:
 * the SHA-256 digests of the expected and the presented token (equal length whatever was sent)
 * are compared with {@link MessageDigest#isEqual}, so neither the token nor its length leaks by
 * timing. {@link #toString} never shows the secret, so logging the object is harmless.
 */
public final class BearerToken {
    private static final String SCHEME = "Bearer ";

    private final String secret;
    private final byte[] digest;

    private BearerToken(String secret) {
        this.secret = secret;
        this.digest = sha256(secret);
    }

    /** @return the token, or null when {@code secret} is null or blank (nothing required) */
    public static BearerToken ofNullable(String secret) {
        return secret == null || secret.isBlank() ? null : new BearerToken(secret.strip());
    }

    /** Whether an {@code Authorization} header value carries this token. */
    public boolean matches(String authorizationHeader) {
        String presented = authorizationHeader != null && authorizationHeader.regionMatches(true, 0, SCHEME, 0, SCHEME.length())
                ? authorizationHeader.substring(SCHEME.length()).strip() : "";
        return MessageDigest.isEqual(digest, sha256(presented));
    }

    /** The header value that presents this token, for requests this process sends (forwarded queries). */
    public String authorizationHeader() {
        return SCHEME + secret;
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public String toString() {
        return "BearerToken[redacted]";
    }
}
