package io.spendmonitor.streams.cost;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;

/**
 * A running sum of femto-dollars that never wraps. One call's cost fits a {@code long} (about
 * $9,223), but a sum of many calls need not: a team spending $200 a minute passes it within an
 * hour. The sum stays a plain {@code long} (no allocation per add, the topology's hot path) until
 * an add would overflow, and from then on is a {@link BigInteger}: exact at any size.
 */
public final class FemtoSum {
    private long small;
    /** Non-null once the sum left the range of a long. */
    private BigInteger big;

    public FemtoSum() {
    }

    public static FemtoSum of(long femto) {
        FemtoSum s = new FemtoSum();
        s.small = femto;
        return s;
    }

    public static FemtoSum of(BigInteger femto) {
        FemtoSum s = new FemtoSum();
        s.add(femto);
        return s;
    }

    public void add(long femto) {
        if (big != null) {
            big = big.add(BigInteger.valueOf(femto));
            return;
        }
        long r = small + femto;
        // overflow iff both operands have the sign opposite to the result's (Hacker's Delight 2-13)
        if (((small ^ r) & (femto ^ r)) < 0) {
            big = BigInteger.valueOf(small).add(BigInteger.valueOf(femto));
        } else {
            small = r;
        }
    }

    public void add(BigInteger femto) {
        if (femto.bitLength() < 64) {
            add(femto.longValue());
        } else {
            big = value().add(femto);
        }
    }

    /** Takes {@code femto} off the sum, exact (a running sum whose terms leave it). */
    public void subtract(BigInteger femto) {
        if (femto.bitLength() < 64 && femto.longValue() != Long.MIN_VALUE) {
            add(-femto.longValue());
        } else {
            big = value().subtract(femto);
        }
    }

    /** The sum as a long; {@link ArithmeticException} if it does not fit one (as {@link Math#addExact} would have thrown). */
    public long longValueExact() {
        return big != null ? big.longValueExact() : small;
    }

    public void add(FemtoSum other) {
        if (other.big == null) {
            add(other.small);
        } else {
            add(other.big);
        }
    }

    public BigInteger value() {
        return big != null ? big : BigInteger.valueOf(small);
    }

    /** The exact amount in USD. */
    public BigDecimal usd() {
        return Money.usd(value());
    }

    /** The difference {@code this - other}, exact. */
    public BigInteger minus(FemtoSum other) {
        return value().subtract(other.value());
    }

    // compact binary form: one marker byte, then a long, or the big value's two's-complement bytes
    private static final byte SMALL = 0;
    private static final byte BIG = 1;

    public void writeTo(DataOutput out) throws IOException {
        if (big == null) {
            out.writeByte(SMALL);
            out.writeLong(small);
        } else {
            byte[] bytes = big.toByteArray();
            out.writeByte(BIG);
            out.writeShort(bytes.length);
            out.write(bytes);
        }
    }

    public static FemtoSum readFrom(DataInput in) throws IOException {
        byte kind = in.readByte();
        if (kind == SMALL) {
            return of(in.readLong());
        }
        if (kind != BIG) {
            throw new IOException("unknown money format " + kind);
        }
        int length = in.readUnsignedShort();
        if (length == 0 || length > 64) {
            throw new IOException("a money sum of " + length + " bytes is not a sum of calls");
        }
        byte[] bytes = new byte[length];
        in.readFully(bytes);
        return of(new BigInteger(bytes));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof FemtoSum other && value().equals(other.value());
    }

    @Override
    public int hashCode() {
        return value().hashCode();
    }

    @Override
    public String toString() {
        return value() + " fUSD";
    }
}
