package io.spendmonitor.streams.notify;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.spendmonitor.streams.cost.AlertType;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Which channels a transition goes to, by team and alert type. A routes file is JSON:
 * <pre>{@code
 * {
 *   "routes": [
 *     {"type": "BUDGET", "channels": ["slack"]},
 *     {"team": "search", "type": "SELF_HOSTING_*", "channels": ["slack", "pagerduty"]},
 *     {"team": ["sandbox-*", "test"], "channels": []}
 *   ],
 *   "default": ["slack", "webhook"]
 * }
 * }</pre>
 * Routes are tried in order and the <b>first match wins</b>. {@code team} and {@code type} are
 * glob patterns ({@code *} any run of characters, {@code ?} one), or lists of them; a missing one
 * matches everything. {@code channels: []} drops the transition. A transition no route matches
 * goes to {@code default}, or, without {@code default}, to every configured channel. Without a
 * routes file every transition goes to every configured channel. The state is deliberately not
 * routable: a RESOLVED must reach the channels its FIRING reached (PagerDuty closes incidents
 * with it).
 */
public final class AlertRoutes {
    /** Every channel name a route may use. */
    public static final List<String> KNOWN_CHANNELS =
            List.of(SlackChannel.NAME, WebhookChannel.NAME, PagerDutyChannel.NAME, ConsoleChannel.NAME);

    /** A glob pattern and the regex it stands for. */
    private record Glob(String text, Pattern regex) {
        boolean matches(String value) {
            return regex.matcher(value).matches();
        }
    }

    private record Route(List<Glob> teams, List<Glob> types, List<String> channels) {
        boolean matches(String team, String type) {
            return teams.stream().anyMatch(g -> g.matches(team)) && types.stream().anyMatch(g -> g.matches(type));
        }
    }

    private final List<Route> routes;
    /** null: every channel. */
    private final List<String> defaultChannels;

    private AlertRoutes(List<Route> routes, List<String> defaultChannels) {
        this.routes = List.copyOf(routes);
        this.defaultChannels = defaultChannels == null ? null : List.copyOf(defaultChannels);
    }

    /** No routes: every transition to every channel. */
    public static AlertRoutes everyChannel() {
        return new AlertRoutes(List.of(), null);
    }

    /** Reads a routes file; {@code configured} are the channels that may be named. */
    public static AlertRoutes load(Path file, Collection<String> configured) {
        String json;
        try {
            json = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read the routes file " + file + ": " + e.getMessage(), e);
        }
        return parse(json, "routes file " + file, configured);
    }

    /**
     * Parses routes JSON. {@code source} names it in errors; {@code configured} are the channels
     * that may be named (a route to a channel that is not configured is an error, not a silent drop).
     */
    public static AlertRoutes parse(String json, String source, Collection<String> configured) {
        JsonNode root;
        try {
            root = AlertJson.MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(source + " is not valid JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException(source + " must be a JSON object with \"routes\" (and optionally \"default\")");
        }
        onlyKeys(root, source, "routes", "default");
        List<Route> routes = new ArrayList<>();
        JsonNode list = root.get("routes");
        if (list != null) {
            if (!list.isArray()) {
                throw new IllegalArgumentException(source + ": \"routes\" must be a list");
            }
            int n = 0;
            for (JsonNode node : list) {
                n++;
                String where = source + ", route " + n;
                if (!node.isObject()) {
                    throw new IllegalArgumentException(where + ": must be an object with \"channels\" and optionally \"team\" and \"type\"");
                }
                onlyKeys(node, where, "team", "type", "channels");
                if (node.get("channels") == null) {
                    throw new IllegalArgumentException(where + ": \"channels\" is missing (use [] to drop these alerts)");
                }
                List<Glob> types = globs(node.get("type"), where + ", \"type\"");
                for (Glob type : types) {
                    if (Arrays.stream(AlertType.values()).noneMatch(t -> type.matches(t.name()))) {
                        throw new IllegalArgumentException(where + ": type pattern '" + type.text()
                                + "' matches no alert type (" + Arrays.toString(AlertType.values()) + ")");
                    }
                }
                routes.add(new Route(globs(node.get("team"), where + ", \"team\""), types,
                        channels(node.get("channels"), where, configured)));
            }
        }
        JsonNode fallback = root.get("default");
        List<String> defaults = fallback == null ? null : channels(fallback, source + ", \"default\"", configured);
        return new AlertRoutes(routes, defaults);
    }

    /** The channels for a transition of {@code type} for {@code team}; {@code every} are all the channels there are. */
    public List<String> channelsFor(String team, String type, List<String> every) {
        for (Route route : routes) {
            if (route.matches(team, type)) {
                return route.channels();
            }
        }
        return defaultChannels == null ? every : defaultChannels;
    }

    /** Every channel some route or the default names (empty when there are none). */
    Set<String> namedChannels() {
        Set<String> named = new LinkedHashSet<>();
        routes.forEach(r -> named.addAll(r.channels()));
        if (defaultChannels != null) {
            named.addAll(defaultChannels);
        }
        return named;
    }

    private static List<String> channels(JsonNode node, String where, Collection<String> configured) {
        if (!node.isArray()) {
            throw new IllegalArgumentException(where + ": \"channels\" must be a list of channel names");
        }
        Set<String> names = new LinkedHashSet<>();
        for (JsonNode n : node) {
            if (!n.isTextual()) {
                throw new IllegalArgumentException(where + ": channel names are strings, got " + n);
            }
            String name = n.asText();
            if (!KNOWN_CHANNELS.contains(name)) {
                throw new IllegalArgumentException(where + ": unknown channel '" + name + "' (channels: "
                        + String.join(", ", KNOWN_CHANNELS) + ")");
            }
            if (!configured.contains(name)) {
                throw new IllegalArgumentException(where + ": channel '" + name + "' is not configured ("
                        + NotifierConfig.settingFor(name) + " is not set)");
            }
            names.add(name);
        }
        return List.copyOf(names);
    }

    private static List<Glob> globs(JsonNode node, String where) {
        if (node == null) {
            return List.of(new Glob("*", glob("*")));
        }
        List<JsonNode> items = new ArrayList<>();
        if (node.isArray()) {
            node.forEach(items::add);
        } else {
            items.add(node);
        }
        if (items.isEmpty()) {
            throw new IllegalArgumentException(where + ": an empty list matches nothing; leave it out to match everything");
        }
        List<Glob> globs = new ArrayList<>();
        for (JsonNode item : items) {
            if (!item.isTextual() || item.asText().isBlank()) {
                throw new IllegalArgumentException(where + ": patterns are non-empty strings, got " + item);
            }
            globs.add(new Glob(item.asText(), glob(item.asText())));
        }
        return globs;
    }

    /** {@code *} any run of characters, {@code ?} one character, everything else literal. */
    static Pattern glob(String glob) {
        StringBuilder regex = new StringBuilder();
        StringBuilder literal = new StringBuilder();
        for (char c : glob.toCharArray()) {
            if (c == '*' || c == '?') {
                if (literal.length() > 0) {
                    regex.append(Pattern.quote(literal.toString()));
                    literal.setLength(0);
                }
                regex.append(c == '*' ? ".*" : ".");
            } else {
                literal.append(c);
            }
        }
        if (literal.length() > 0) {
            regex.append(Pattern.quote(literal.toString()));
        }
        return Pattern.compile(regex.toString(), Pattern.DOTALL);
    }

    private static void onlyKeys(JsonNode node, String where, String... allowed) {
        List<String> known = List.of(allowed);
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String field = it.next();
            if (!known.contains(field)) {
                throw new IllegalArgumentException(where + ": unknown key '" + field + "' (known: " + String.join(", ", known) + ")");
            }
        }
    }
}
