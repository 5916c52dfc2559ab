package io.spendmonitor.schemas.serde;

/**
 * Confluent's wire format: one magic byte 0, the schema id as a 4-byte big-endian int, then the
 * Avro binary encoding of the record written with that schema.
 */
public final class WireFormat {
    public static final byte MAGIC_BYTE = 0;
    public static final int HEADER_SIZE = 5;

    private WireFormat() {
    }

    /** The schema id of framed bytes, or a typed failure saying why these are not framed Avro. */
    public static int schemaId(byte[] bytes) {
        if (bytes.length < HEADER_SIZE) {
            throw new AvroSerdeException("undecodable", "record of " + bytes.length
                    + " byte(s) is too short for the Confluent wire format (magic byte + 4-byte schema id)");
        }
        if (bytes[0] != MAGIC_BYTE) {
            throw new AvroSerdeException("undecodable", String.format(
                    "unknown magic byte 0x%02x: not Confluent-framed Avro (expected 0x00)", bytes[0]));
        }
        return ((bytes[1] & 0xff) << 24) | ((bytes[2] & 0xff) << 16) | ((bytes[3] & 0xff) << 8) | (bytes[4] & 0xff);
    }

    static void writeHeader(java.io.ByteArrayOutputStream out, int schemaId) {
        out.write(MAGIC_BYTE);
        out.write(schemaId >>> 24);
        out.write(schemaId >>> 16);
        out.write(schemaId >>> 8);
        out.write(schemaId);
    }
}
