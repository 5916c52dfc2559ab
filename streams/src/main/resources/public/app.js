// spend-monitor live page (overview): polls the query API and draws with charts.js (hand-drawn SVG, no library).
(function () {
  "use strict";
  const C = window.SpendCharts;
  const REFRESH_MS = 5000;
  const MAX_RATIO_TEAMS = 12; // break-even histories fetched per refresh (one request each)
  const el = id => document.getElementById(id);
  const usd = C.usd, esc = C.esc;

  function askForToken() {
    const form = el("token-form");
    if (!form.hidden) return;
    form.hidden = false;
    el("token-input").focus();
  }

  el("token-form").addEventListener("submit", event => {
    event.preventDefault();
    const value = el("token-input").value.trim();
    if (!value) return;
    sessionStorage.setItem(C.TOKEN_KEY, value);
    el("token-input").value = "";
    el("token-form").hidden = true;
    refresh();
  });

  el("empty-curl").textContent = "curl -s -H \"Authorization: Bearer $INGEST_TOKEN\" -H \"Content-Type: application/json\" \\\n"
    + "  -d '{\"timestamp\":\"" + new Date().toISOString().substring(0, 19) + "Z\",\"team\":\"search\",\"application\":\"ranker\","
    + "\"provider\":\"openai\",\"model\":\"gpt-4o-mini\",\"input_tokens\":1200,\"output_tokens\":80}' \\\n"
    + "  " + location.origin + "/ingest/token-usage";

  function drawTimeline(points) {
    const starts = C.everyWindow(points.map(p => p.start));
    const index = new Map(starts.map((s, i) => [s, i]));
    const api = starts.map(() => 0), gpu = starts.map(() => 0), idle = starts.map(() => 0);
    const teams = [...new Set(points.map(p => p.team))].sort();
    const perTeam = new Map(teams.map(t => [t, starts.map(() => 0)]));
    let firstOpen = null;
    for (const p of points) {
      const i = index.get(p.start);
      const a = Number(p.api_cost_usd) * 60, g = Number(p.gpu_cost_usd) * 60; // a minute's cost * 60 = $/h
      api[i] += a; gpu[i] += g; idle[i] += Number(p.idle_gpus);
      perTeam.get(p.team)[i] = (perTeam.get(p.team)[i] || 0) + a + g;
      if (p.final === false && (firstOpen == null || p.start < firstOpen)) firstOpen = p.start;
    }
    const empty = "No minute windows yet: publish a token-usage event (see above).";
    C.line(el("chart-spend"), {xs: starts, money: true, provisionalFrom: firstOpen, empty: empty, title: "spend rate",
      series: [{label: "API $/h", values: api, color: C.PALETTE[0]}, {label: "GPU $/h", values: gpu, color: C.PALETTE[1]}]});
    C.line(el("chart-teams"), {xs: starts, money: true, provisionalFrom: firstOpen, empty: empty, title: "spend by team",
      series: teams.map(t => ({label: t, values: perTeam.get(t)}))});
    C.line(el("chart-idle"), {xs: starts, provisionalFrom: firstOpen, empty: empty, title: "idle GPUs",
      series: [{label: "idle GPUs", values: idle, color: C.PALETTE[2]}]});
  }

  async function drawRatios(teams) {
    const withBreakEven = teams.filter(t => t.break_even).slice(0, MAX_RATIO_TEAMS);
    const histories = await Promise.all(withBreakEven.map(t =>
      C.getJson("/api/teams/" + encodeURIComponent(t.team) + "/breakeven?minutes=60").catch(() => null)));
    const series = [], times = new Set();
    histories.forEach(h => {
      if (!h) return;
      for (const p of h.profiles) {
        const m = new Map(p.points.filter(x => x.ratio != null).map(x => [x.end, Number(x.ratio)]));
        m.forEach((_, t) => times.add(t));
        series.push({label: h.team + " · " + p.profile + " · " + (p.mode === "API" ? "API" : "self-hosted"), byTime: m});
      }
    });
    const xs = [...times].sort((a, b) => a - b);
    C.line(el("chart-ratio"), {xs: xs, refLine: 1.0, title: "break-even ratio",
      empty: "No break-even yet: it needs a self-host profile in the price catalog and a final minute of matching traffic.",
      series: series.map(s => ({label: s.label, values: xs.map(t => s.byTime.has(t) ? s.byTime.get(t) : null)}))});
  }

  function budgetCell(t) {
    const b = t.budget_used;
    if (!b || (b.day == null && b.month == null)) return '<span class="ratio-lo">no budget</span>';
    const bar = (label, v) => v == null ? "" : '<div class="budget"><span class="budget-label">' + label + '</span><meter min="0" max="1" low="0.8" high="0.99" optimum="0" value="'
      + Math.min(1, v) + '"></meter><span class="budget-pct' + (v >= 1 ? " over" : "") + '">' + Math.round(v * 100) + "%</span></div>";
    return bar("day", b.day) + bar("month", b.month);
  }

  // the open minutes' spend so far, in a cell that carries it (data-open, to the cent) for people reading the DOM and the tests
  function openMinute(t) {
    const open = t.provisional || [];
    if (!open.length) return '<td class=num data-open="0.00"><span class="ratio-lo">–</span></td>';
    let sum = 0;
    for (const w of open) sum += Number(w.api_cost_usd) + Number(w.gpu_cost_usd);
    return '<td class=num data-open="' + sum.toFixed(2) + '"><span class="provisional-value" title="' + open.length
      + ' open minute(s), not final">' + usd(sum) + " <small>provisional</small></span></td>";
  }

  function drawTable(teams) {
    const body = el("teams").querySelector("tbody");
    if (!teams.length) { body.innerHTML = '<tr><td colspan="10" class="empty">No teams yet: publish a token-usage event (see above) or run the simulator.</td></tr>'; return; }
    body.innerHTML = teams.map(t => {
      const b = t.break_even;
      const switchText = !b ? "–" : b.mode === "API" ? "self-host " + esc(b.profile) + " (" + b.gpus + "× " + esc(b.gpu_model) + ")"
        : "move " + esc(b.profile) + " to " + esc(b.api_model);
      const ratio = !b ? "–" : b.ratio == null ? "∞" : Number(b.ratio).toFixed(2);
      const cls = b && (b.ratio == null || b.ratio > 1) ? "ratio-hi" : "ratio-lo";
      const pills = (t.alerts || []).map(a => '<span class="pill ' + (a.type === "IDLE_CAPACITY" ? "idle" : a.type === "SELF_HOSTING_CHEAPER" ? "cheaper" : "") + '">'
        + esc(a.type.toLowerCase().replace(/_/g, " ")) + "</span>").join("");
      const now = t.rate ? Number(t.rate.api_usd_per_hour) + Number(t.rate.gpu_usd_per_hour) : null;
      const avg = Number(t.api_usd_per_hour) + Number(t.gpu_usd_per_hour);
      return '<tr data-team="' + esc(t.team) + '"><td><a class="team-link" href="/teams/' + encodeURIComponent(t.team) + '"><b>' + esc(t.team) + "</b></a></td><td class=num>" + (now == null ? "–" : usd(now))
        + "</td><td class=num>" + usd(avg) + "</td>" + openMinute(t) + "<td>" + budgetCell(t)
        + "</td><td class=num>" + Number(t.idle_gpus || 0).toFixed(2) + "</td><td>" + switchText + "</td><td class='num " + cls + "'>" + ratio
        + "</td><td class=num>" + (b ? usd(b.savings_usd_per_hour) : "–") + "</td><td>" + (pills || '<span class="ratio-lo">none</span>') + "</td></tr>";
    }).join("");
  }

  function drawAlerts(alerts) {
    const list = el("alerts");
    const recent = alerts.recent || [];
    list.innerHTML = recent.length ? recent.slice(0, 15).map(a => '<li><span class="when">' + esc(a.window_end.replace("T", " ").replace(":00Z", "Z"))
      + '</span><span class="state ' + esc(a.state) + '">' + esc(a.state) + "</span>" + esc(a.summary) + "</li>").join("")
      : '<li class="empty">No alert transitions yet.</li>';
  }

  function drawKpis(teams, alerts) {
    let api = 0, gpu = 0, idle = 0, open = 0;
    for (const t of teams) {
      if (t.rate) { api += Number(t.rate.api_usd_per_hour); gpu += Number(t.rate.gpu_usd_per_hour); }
      idle += Number(t.idle_gpus || 0);
      for (const w of t.provisional || []) open += Number(w.api_cost_usd) + Number(w.gpu_cost_usd);
    }
    el("kpi-total").textContent = usd(api + gpu);
    el("kpi-api").textContent = usd(api);
    el("kpi-gpu").textContent = usd(gpu);
    el("kpi-open").textContent = usd(open);
    el("kpi-idle").textContent = idle.toFixed(1);
    el("kpi-alerts").textContent = String((alerts.active || []).length);
  }

  function showError(message) {
    const banner = el("banner");
    banner.textContent = message;
    banner.hidden = false;
    document.body.dataset.state = "error";
  }

  async function refresh() {
    const status = el("status");
    try {
      const [teams, alerts, timeline] = await Promise.all([C.getJson("/api/teams"), C.getJson("/api/alerts"), C.getJson("/api/timeline?minutes=60")]);
      el("banner").hidden = true;
      el("empty").hidden = teams.teams.length > 0;
      drawKpis(teams.teams, alerts);
      drawTimeline(timeline.points);
      drawTable(teams.teams);
      drawAlerts(alerts);
      await drawRatios(teams.teams);
      const partial = teams.partial || timeline.partial ? " · partial: an instance did not answer" : "";
      status.textContent = "live · " + teams.teams.length + " teams · " + new Date().toLocaleTimeString() + partial;
      status.className = "status ok";
      document.body.dataset.state = teams.teams.length ? "live" : "empty";
      document.body.dataset.loaded = "true";
    } catch (e) {
      if (e instanceof C.Unauthorized) {
        sessionStorage.removeItem(C.TOKEN_KEY);
        status.textContent = e.message;
        status.className = "status bad";
        askForToken();
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
