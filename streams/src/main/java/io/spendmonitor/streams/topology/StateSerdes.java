package io.spendmonitor.streams.topology;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.spendmonitor.streams.cost.TeamState;
import io.spendmonitor.streams.cost.TeamWindow;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;

/**
 * Serdes of the internal stores. Windows change with every event, so theirs is compact binary;
 * team state changes once a minute, so JSON (readable in the changelog, easy to evolve) is fine.
 */
public final class StateSerdes {
    private static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false)
            .configure(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS, true);

    private StateSerdes() {
    }

    public static Serde<TeamWindow> teamWindow() {
        return Serdes.serdeFrom((topic, w) -> {
            if (w == null) {
                return null;
            }
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(256);
            try (DataOutputStream out = new DataOutputStream(bytes)) {
                w.writeTo(out);
            } catch (IOException e) {
                throw new SerializationException("cannot write team window", e);
            }
            return bytes.toByteArray();
        }, (topic, bytes) -> {
            if (bytes == null) {
                return null;
            }
            try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
                return TeamWindow.readFrom(in);
            } catch (IOException e) {
                throw new SerializationException("cannot read team window", e);
            }
        });
    }

    public static Serde<TeamState> teamState() {
        return Serdes.serdeFrom((topic, s) -> {
            if (s == null) {
                return null;
            }
            try {
                return JSON.writeValueAsBytes(s);
            } catch (IOException e) {
                throw new SerializationException("cannot write team state", e);
            }
        }, (topic, bytes) -> {
            if (bytes == null) {
                return null;
            }
            try {
                return JSON.readValue(bytes, TeamState.class);
            } catch (IOException e) {
                throw new SerializationException("cannot read team state", e);
            }
        });
    }
}
