// spend-monitor team page (/teams/{team}): one team from the JSON API, drawn with charts.js (hand-drawn SVG).
(function () {
  "use strict";
  const C = window.SpendCharts;
  const REFRESH_MS = 5000;
  const el = id => document.getElementById(id);
  const usd = C.usd, esc = C.esc;
  const team = decodeURIComponent(location.pathname.replace(/^\/teams\//, "").replace(/\/$/, ""));
  const base = "/api/teams/" + encodeURIComponent(team);
  let rangeSet = false;

  document.title = "spend-monitor · " + team;
  el("team-name").textContent = team;
  el("empty-team").textContent = team;
  el("api-link").href = base;

  el("token-form").addEventListener("submit", event => {
    event.preventDefault();
    const value = el("token-input").value.trim();
    if (!value) return;
    sessionStorage.setItem(C.TOKEN_KEY, value);
    el("token-input").value = "";
    el("token-form").hidden = true;
    refresh();
  });
  el("ratio-minutes").addEventListener("change", () => refresh());

  // the range picker: datetime-local values read as UTC
  const toInput = ms => new Date(ms).toISOString().substring(0, 16);
  const fromInput = v => v.length === 16 ? v + ":00Z" : v + "Z";
  function setRange(toMs, minutes) {
    el("range-to").value = toInput(toMs);
    el("range-from").value = toInput(toMs - minutes * 60000);
  }
  el("range-form").addEventListener("submit", event => { event.preventDefault(); loadCost(); });
  for (const b of document.querySelectorAll("button.preset")) {
    b.addEventListener("click", () => {
      const to = Date.parse(fromInput(el("range-to").value)) || Date.now();
      setRange(to, Number(b.dataset.minutes));
      loadCost();
    });
  }

  // exact sum of two non-negative decimal strings with up to 9 decimals (nano-dollars), as the API's
  const nanos = s => { const [i, f = ""] = String(s).split("."); return BigInt(i) * 1000000000n + BigInt((f + "000000000").slice(0, 9)); };
  function addExact(a, b) {
    const n = (nanos(a) + nanos(b)).toString().padStart(10, "0");
    return n.slice(0, -9) + "." + n.slice(-9);
  }

  async function loadCost() {
    const out = el("range-result");
    const from = fromInput(el("range-from").value), to = fromInput(el("range-to").value);
    try {
      const by = el("range-by").value;
      const c = await C.getJson(base + "/cost?from=" + encodeURIComponent(from) + "&to=" + encodeURIComponent(to)
        + (by ? "&by=" + encodeURIComponent(by) : ""));
      const row = (label, v) => "<tr><td>" + label + "</td><td class=num>" + usd(v) + '</td><td class="num exact">' + esc(v) + "</td></tr>";
      out.innerHTML = "<p>" + c.windows + " minute window(s) in [" + esc(c.from) + ", " + esc(c.to) + ")</p>"
        + '<table class="cost-table"><thead><tr><th></th><th class="num">to the cent</th><th class="num">exact USD</th></tr></thead><tbody>'
        + row("API", c.api_cost_usd) + row("GPU", c.gpu_cost_usd) + row("GPU busy", c.busy_cost_usd) + row("GPU idle", c.idle_cost_usd)
        + row("<b>Total</b>", addExact(c.api_cost_usd, c.gpu_cost_usd))
        + "</tbody></table><p class=hint>" + c.api_calls + " API calls · " + (c.tokens.input + c.tokens.output).toLocaleString("en-US")
        + " tokens (in + out) · " + c.selfhost_tokens.toLocaleString("en-US") + " self-hosted tokens</p>";
      if (c.by) {
        const values = c.by.values.slice(0, 10);
        out.innerHTML += "<h3>API cost by " + esc(c.by.key) + "</h3>" + (values.length
          ? '<table class="cost-table"><thead><tr><th>' + esc(c.by.key) + '</th><th class="num">to the cent</th><th class="num">exact USD</th><th class="num">calls</th></tr></thead><tbody>'
            + values.map(v => "<tr><td>" + esc(v.value) + "</td><td class=num>" + usd(v.cost_usd) + '</td><td class="num exact">' + esc(v.cost_usd)
              + "</td><td class=num>" + v.calls + "</td></tr>").join("") + "</tbody></table>"
            + (c.by.values.length > 10 ? "<p class=hint>top 10 of " + c.by.values.length + "</p>" : "")
          : "<p class=hint>No call in this range carries a <code>" + esc(c.by.key) + "</code> label (see README, Attribution labels).</p>");
      }
      out.dataset.windows = String(c.windows);
    } catch (e) {
      out.innerHTML = '<p class="error-text">' + esc(e.message || e) + "</p>";
    }
  }

  function drawKpis(d, line) {
    const rate = line && line.rate;
    el("kpi-now").textContent = rate ? usd(Number(rate.api_usd_per_hour) + Number(rate.gpu_usd_per_hour)) : "–";
    el("kpi-now-hint").textContent = rate ? "per hour, minute " + C.hhmm(Date.parse(rate.window_start)) + "–" + C.hhmm(Date.parse(rate.window_end)) + " (final)" : "no final minute yet";
    if (d.horizon) {
      el("kpi-avg").textContent = usd(Number(d.horizon.api_usd_per_hour) + Number(d.horizon.gpu_usd_per_hour));
      el("kpi-avg-hint").textContent = "per hour, average of the last " + d.horizon.minutes + " final minutes";
    }
    const open = d.provisional || [];
    let sum = 0;
    for (const w of open) sum += Number(w.api_cost_usd) + Number(w.gpu_cost_usd);
    el("kpi-open").textContent = open.length ? usd(sum) : "–";
    el("kpi-open-hint").textContent = open.length ? "since " + C.hhmm(Date.parse(open[0].start)) + ", provisional (" + open.length + " open minute" + (open.length > 1 ? "s" : "") + ")" : "no open minute";
    el("kpi-idle").textContent = d.window ? Number(d.window.idle_gpus).toFixed(2) : "–";
    el("kpi-alerts").textContent = String((d.alerts || []).length);
  }

  function drawSpend(points) {
    const mine = new Map(points.filter(p => p.team === team).map(p => [p.start, p]));
    const xs = C.everyWindow([...mine.keys()]);
    let firstOpen = null;
    for (const p of mine.values()) if (p.final === false && (firstOpen == null || p.start < firstOpen)) firstOpen = p.start;
    // a minute's cost * 60 = $/h; a minute without a window spent nothing
    const perHour = field => xs.map(t => mine.has(t) ? Number(mine.get(t)[field]) * 60 : 0);
    C.line(el("chart-team-spend"), {xs: xs, money: true, provisionalFrom: firstOpen, title: "spend rate",
      empty: "No minute windows in the last hour.",
      series: [{label: "API $/h", values: perHour("api_cost_usd"), color: C.PALETTE[0]},
               {label: "GPU $/h", values: perHour("gpu_cost_usd"), color: C.PALETTE[1]},
               {label: "idle GPU $/h", values: perHour("idle_cost_usd"), color: C.PALETTE[2], dash: "4 3"}]});
  }

  function drawBreakEven(history, alerts) {
    const times = new Set();
    for (const p of history.profiles) for (const x of p.points) times.add(x.end);
    const xs = [...times].sort((a, b) => a - b);
    const series = history.profiles.map(p => {
      const m = new Map(p.points.filter(x => x.ratio != null).map(x => [x.end, Number(x.ratio)]));
      return {label: p.profile + " · " + (p.mode === "API" ? "API → self-host" : "self-hosted → " + (p.api_model || "API")),
        values: xs.map(t => m.has(t) ? m.get(t) : null)};
    });
    const markers = (alerts.recent || []).filter(a => a.state === "FIRING")
      .map(a => ({x: Date.parse(a.window_end), label: a.type + " fired: " + a.summary}));
    C.line(el("chart-breakeven"), {xs: xs, series: series, refLine: 1.0, markers: markers, title: "break-even ratio",
      empty: "No break-even history: the team needs a self-host profile that matches its models, and a final minute."});
    el("chart-breakeven").dataset.markers = String(markers.filter(m => xs.length && m.x >= xs[0] && m.x <= xs[xs.length - 1]).length);
  }

  function drawBreakdown(r) {
    const models = el("models").querySelector("tbody"), deps = el("deployments").querySelector("tbody");
    if (!r) {
      models.innerHTML = '<tr><td colspan="5" class="empty">No final minute yet.</td></tr>';
      deps.innerHTML = '<tr><td colspan="5" class="empty">No final minute yet.</td></tr>';
      el("labels").querySelector("tbody").innerHTML = '<tr><td colspan="4" class="empty">No final minute yet.</td></tr>';
      return;
    }
    el("models-span").textContent = "last " + r.minutes + " final minutes, " + C.hhmm(Date.parse(r.from)) + "–" + C.hhmm(Date.parse(r.to));
    models.innerHTML = r.models.length ? r.models.map(m => "<tr><td>" + esc(m.provider) + "/<b>" + esc(m.model) + "</b></td><td class=num>" + usd(m.usd_per_hour)
      + "</td><td class=num>" + usd(m.cost_usd) + "</td><td class=num>" + m.calls.toLocaleString("en-US") + "</td><td class=num>" + m.tokens.toLocaleString("en-US") + "</td></tr>").join("")
      : '<tr><td colspan="5" class="empty">No calls in these minutes.</td></tr>';
    el("models").dataset.points = String(r.models.length);
    deps.innerHTML = r.deployments.length ? r.deployments.map(d => "<tr><td><b>" + esc(d.deployment) + "</b><br><small>" + esc(d.model || "") + " · " + esc(d.gpu_model || "no GPU samples")
      + "</small></td><td class=num>" + usd(d.usd_per_hour) + '</td><td><meter min="0" max="1" low="0.3" optimum="1" value="' + d.utilization + '"></meter> '
      + Math.round(d.utilization * 100) + "%</td><td class='num " + (d.idle_share > 0.7 ? "ratio-hi" : "") + "'>" + Math.round(d.idle_share * 100) + "%</td><td class=num>" + usd(d.idle_cost_usd) + "</td></tr>").join("")
      : '<tr><td colspan="5" class="empty">No self-hosted deployments (no GPU samples).</td></tr>';
    el("deployments").dataset.points = String(r.deployments.length);
    const labels = el("labels").querySelector("tbody"), attribution = r.attribution || [];
    labels.innerHTML = attribution.length ? attribution.map(l => "<tr><td>" + esc(l.key) + " = <b>" + esc(l.value) + "</b></td><td class=num>" + usd(l.usd_per_hour)
      + "</td><td class=num>" + usd(l.cost_usd) + "</td><td class=num>" + l.calls.toLocaleString("en-US") + "</td></tr>").join("")
      : '<tr><td colspan="4" class="empty">No labelled calls in these minutes. Calls carry <code>labels</code> such as <code>{"customer":"acme"}</code> (see README, Attribution labels).</td></tr>';
    el("labels").dataset.points = String(attribution.length);
  }

  function drawBudget(b) {
    const target = el("budget");
    if (!b) { target.innerHTML = '<p class="empty">No budget for this team. Publish a <code>team_budget</code> line with <code>spend-monitor publish</code> (see README, Prices and budgets).</p>'; return; }
    const period = (label, p) => {
      if (!p || p.budget_usd == null) return "<p class=empty>No " + label + " budget.</p>";
      const used = p.used == null ? 0 : p.used, forecast = p.forecast_usd == null ? null : Number(p.forecast_usd) / Number(p.budget_usd);
      return '<div class="budget-row"><div><b>' + label + "</b> " + esc(p.period || "") + "</div>"
        + '<div class="budget-bar"><span class="budget-fill' + (used >= 1 ? " over" : used >= 0.8 ? " warn" : "") + '" data-share="' + Math.min(1, used) + '"></span>'
        + (forecast == null ? "" : '<span class="budget-forecast" data-share="' + Math.min(1, forecast) + '" title="forecast"></span>') + "</div>"
        + "<div>" + usd(p.spend_usd) + " of " + usd(p.budget_usd) + " (" + Math.round(used * 100) + "%)"
        + (p.forecast_usd == null ? "" : " · forecast " + usd(p.forecast_usd) + (forecast > 1 ? ' <span class="ratio-hi">over budget</span>' : "")) + "</div></div>";
    };
    target.innerHTML = (b.day || b.month ? period("daily", b.day) + period("monthly", b.month) : "<p class=empty>No team budget.</p>")
      + (b.labels || []).map(l => '<div class="budget-label">' + esc(l.label) + "</div>" + period("daily", l.day) + period("monthly", l.month)).join("");
    // widths through the CSSOM (allowed by style-src), not style attributes
    for (const s of target.querySelectorAll("[data-share]")) {
      if (s.classList.contains("budget-forecast")) s.style.left = (Number(s.dataset.share) * 100) + "%";
      else s.style.width = (Number(s.dataset.share) * 100) + "%";
    }
  }

  function drawRepeats(r) {
    const target = el("repeats");
    if (!r || !r.calls) {
      target.innerHTML = '<p class="empty">No calls with a <code>prompt_hash</code> in the horizon. The client library computes it '
        + "(<code>publisher.promptHash()</code>); JSON lines take <code>\"prompt_hash\"</code> (see README, Repeated prompts).</p>";
      return;
    }
    target.innerHTML = "<table><tbody>"
      + "<tr><td>Repeat share</td><td class=num><b>" + esc((r.repeat_share * 100).toFixed(1)) + "%</b></td></tr>"
      + "<tr><td>Calls / distinct prompts</td><td class=num>" + esc(String(r.calls)) + " / " + esc(String(r.distinct)) + "</td></tr>"
      + "<tr><td>Cacheable (last " + esc(String(r.minutes)) + " min)</td><td class=num>" + usd(r.cacheable_usd) + "</td></tr>"
      + "<tr><td>Cacheable, all final minutes</td><td class=num>" + usd(r.cacheable_usd_total) + "</td></tr>"
      + "<tr><td>Provider prompt caching (cached input tokens)</td><td class=num>" + esc(String(r.provider_cached_input_tokens)) + "</td></tr>"
      + "</tbody></table>";
  }

  function drawAlerts(a) {
    const list = el("team-alerts");
    const active = (a.active || []).map(x => '<li><span class="when">since ' + esc(x.since.replace("T", " ")) + '</span><span class="state FIRING">FIRING</span>'
      + esc(x.type.toLowerCase().replace(/_/g, " ")) + " · " + esc(x.subject) + "</li>");
    const recent = (a.recent || []).slice(0, 30).map(x => '<li><span class="when">' + esc(x.window_end.replace("T", " ").replace(":00Z", "Z"))
      + '</span><span class="state ' + esc(x.state) + '">' + esc(x.state) + "</span>" + esc(x.summary) + "</li>");
    list.innerHTML = active.length || recent.length ? active.concat(recent).join("") : '<li class="empty">No alerts for this team.</li>';
  }

  function showError(message) {
    el("banner").textContent = message;
    el("banner").hidden = false;
    document.body.dataset.state = "error";
  }

  async function refresh() {
    const status = el("status");
    try {
      const minutes = el("ratio-minutes").value;
      const [detail, teams, timeline, history, alerts] = await Promise.all([
        C.getJson(base).catch(e => { if (String(e.message).endsWith("404")) return null; throw e; }),
        C.getJson("/api/teams"), C.getJson("/api/timeline?minutes=60"),
        C.getJson(base + "/breakeven?minutes=" + minutes), C.getJson(base + "/alerts")]);
      el("banner").hidden = true;
      el("empty").hidden = detail != null;
      if (detail) {
        drawKpis(detail, teams.teams.find(t => t.team === team));
        drawBreakdown(detail.recent);
        drawBudget(detail.budget);
        drawRepeats(detail.repeats);
        if (!rangeSet && (detail.window || (detail.provisional || []).length)) {
          const ends = (detail.provisional || []).map(w => Date.parse(w.end));
          if (detail.window) ends.push(Date.parse(detail.window.end));
          setRange(Math.max(...ends), 60);
          rangeSet = true;
          loadCost();
        }
      }
      drawSpend(timeline.points);
      drawBreakEven(history, alerts);
      drawAlerts(alerts);
      status.textContent = "live · " + new Date().toLocaleTimeString() + (alerts.partial || timeline.partial ? " · partial: an instance did not answer" : "");
      status.className = "status ok";
      document.body.dataset.state = detail ? "live" : "empty";
      document.body.dataset.loaded = "true";
    } catch (e) {
      if (e instanceof C.Unauthorized) {
        sessionStorage.removeItem(C.TOKEN_KEY);
        status.textContent = e.message;
        status.className = "status bad";
        el("token-form").hidden = false;
        return;
      }
      status.textContent = String(e.message || e) + " (retrying)";
      status.className = "status bad";
      showError(e instanceof C.Unreachable ? e.message + ". The numbers below are from the last answer." : String(e.message || e));
    }
  }

  refresh();
  setInterval(refresh, REFRESH_MS);
})();
