package io.spendmonitor.streams.repeats;

import io.spendmonitor.streams.cost.FemtoSum;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;

/**
 * One team window's repeated-prompt evidence, kept in its own window store ({@code team-repeats}),
 * not in the team window: the calls that carried a prompt_hash, their API cost, a sketch of their
 * distinct hashes, and the provider's cache reads of every call (reported next to the estimate).
 */
public final class RepeatWindow {
    private static final byte VERSION = 1;

    /** Calls with a prompt_hash. */
    long hashedCalls;
    /** API cost of the calls with a prompt_hash (self-hosted calls cost nothing per call). */
    final FemtoSum hashedCost;
    /** Cache reads (cached_input_tokens) and input tokens of every call of the window, hashed or not. */
    long cachedInputTokens;
    long inputTokens;
    final PromptSketch sketch;

    public RepeatWindow() {
        this(0, new FemtoSum(), 0, 0, new PromptSketch());
    }

    private RepeatWindow(long hashedCalls, FemtoSum hashedCost, long cachedInputTokens, long inputTokens, PromptSketch sketch) {
        this.hashedCalls = hashedCalls;
        this.hashedCost = hashedCost;
        this.cachedInputTokens = cachedInputTokens;
        this.inputTokens = inputTokens;
        this.sketch = sketch;
    }

    /** One admitted call: tiny and allocation-free for a call whose cost fits a long. */
    public void add(String promptHash, long costFemto, long cachedInput, long input) {
        cachedInputTokens += cachedInput;
        inputTokens += input;
        if (promptHash == null) {
            return;
        }
        hashedCalls++;
        hashedCost.add(costFemto);
        sketch.add(PromptSketch.hashOf(promptHash));
    }

    public long hashedCalls() {
        return hashedCalls;
    }

    public FemtoSum hashedCost() {
        return hashedCost;
    }

    public long cachedInputTokens() {
        return cachedInputTokens;
    }

    public long inputTokens() {
        return inputTokens;
    }

    public PromptSketch sketch() {
        return sketch;
    }

    public static Serde<RepeatWindow> serde() {
        return Serdes.serdeFrom((topic, w) -> {
            if (w == null) {
                return null;
            }
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(64);
            try (DataOutputStream out = new DataOutputStream(bytes)) {
                out.writeByte(VERSION);
                out.writeLong(w.hashedCalls);
                w.hashedCost.writeTo(out);
                out.writeLong(w.cachedInputTokens);
                out.writeLong(w.inputTokens);
                w.sketch.writeTo(out);
            } catch (IOException e) {
                throw new SerializationException("cannot write repeat window", e);
            }
            return bytes.toByteArray();
        }, (topic, bytes) -> {
            if (bytes == null) {
                return null;
            }
            try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
                byte version = in.readByte();
                if (version != VERSION) {
                    throw new IOException("unknown repeat window version " + version);
                }
                return new RepeatWindow(in.readLong(), FemtoSum.readFrom(in), in.readLong(), in.readLong(), PromptSketch.readFrom(in));
            } catch (IOException e) {
                throw new SerializationException("cannot read repeat window", e);
            }
        });
    }
}
