// spend-monitor live page: polls the query API and draws with uPlot (served from a webjar, no CDN).
(function () {
  "use strict";
  const REFRESH_MS = 5000;
  const PALETTE = ["#3b6ff5", "#12a37f", "#e0882b", "#9b51e0", "#d9434a", "#0ea5b7", "#a16207", "#64748b", "#db2777", "#4d7c0f"];
  const charts = {};
  const ratioHistory = new Map(); // "team · profile · mode" -> [[t, ratio], ...]
  let ratioTimes = [];

  const usd = v => {
    const n = Number(v);
    if (!isFinite(n)) return "–";
    const sign = n < 0 ? "−" : "", a = Math.abs(n);
    if (a >= 100) return sign + "$" + a.toLocaleString(undefined, {maximumFractionDigits: 0});
    if (a >= 0.01 || a === 0) return sign + "$" + a.toFixed(2);
    return sign + "$" + a.toPrecision(3);
  };
  const el = id => document.getElementById(id);
  const esc = s => String(s).replace(/[&<>"']/g, c => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c]));

  // With --api-token the API wants a bearer token: asked for once, kept for this tab only (sessionStorage).
  const TOKEN_KEY = "spend-monitor.api-token";
  class Unauthorized extends Error {}

  async function getJson(path) {
    const headers = {};
    const token = sessionStorage.getItem(TOKEN_KEY);
    if (token) headers["Authorization"] = "Bearer " + token;
    const response = await fetch(path, {cache: "no-store", headers: headers});
    if (response.status === 401) throw new Unauthorized(token ? "wrong API token" : "this app needs its API token");
    if (!response.ok) throw new Error(path + " answered " + response.status);
    return response.json();
  }

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
    sessionStorage.setItem(TOKEN_KEY, value);
    el("token-input").value = "";
    el("token-form").hidden = true;
    refresh();
  });

  function chart(id, series, opts) {
    const target = el(id);
    const width = Math.max(300, target.clientWidth);
    const key = id + ":" + series.map(s => s.label).join("|");
    if (charts[id] && charts[id].key === key) return charts[id].plot;
    if (charts[id]) charts[id].plot.destroy();
    const plot = new uPlot(Object.assign({
      width: width, height: 240,
      series: [{}].concat(series),
      axes: [{}, {size: 70, values: (u, vals) => vals.map(v => opts && opts.money ? usd(v) : v)}],
      legend: {live: true},
      cursor: {drag: {x: true, y: false}},
    }, opts && opts.extra), [[]].concat(series.map(() => [])), target);
    charts[id] = {plot: plot, key: key};
    return plot;
  }

  function drawTimeline(points) {
    const starts = [...new Set(points.map(p => p.start))].sort((a, b) => a - b);
    const index = new Map(starts.map((s, i) => [s, i]));
    const xs = starts.map(s => s / 1000);
    const api = starts.map(() => 0), gpu = starts.map(() => 0), idle = starts.map(() => 0);
    const teams = [...new Set(points.map(p => p.team))].sort();
    const perTeam = new Map(teams.map(t => [t, starts.map(() => null)]));
    for (const p of points) {
      const i = index.get(p.start);
      const a = Number(p.api_cost_usd) * 60, g = Number(p.gpu_cost_usd) * 60; // window cost * 60 = $/h
      api[i] += a; gpu[i] += g; idle[i] += Number(p.idle_gpus);
      perTeam.get(p.team)[i] = (perTeam.get(p.team)[i] || 0) + a + g;
    }
    chart("chart-spend", [
      {label: "API $/h", stroke: PALETTE[0], width: 2, fill: "rgba(59,111,245,.08)"},
      {label: "GPU $/h", stroke: PALETTE[1], width: 2, fill: "rgba(18,163,127,.08)"},
    ], {money: true}).setData([xs, api, gpu]);
    chart("chart-teams", teams.map((t, i) => ({label: t, stroke: PALETTE[i % PALETTE.length], width: 1.5, spanGaps: true})),
      {money: true}).setData([xs].concat(teams.map(t => perTeam.get(t))));
    chart("chart-idle", [{label: "idle GPUs", stroke: PALETTE[2], width: 2, fill: "rgba(224,136,43,.1)"}])
      .setData([xs, idle]);
    // how many points each chart holds, for people reading the DOM and for the browser test
    el("chart-spend").dataset.points = String(xs.length);
    el("chart-teams").dataset.points = String(xs.length * teams.length);
    el("chart-idle").dataset.points = String(xs.length);
  }

  function drawRatios(teams) {
    const now = Date.now() / 1000;
    ratioTimes.push(now);
    const seen = new Set();
    for (const t of teams) {
      if (!t.break_even || t.break_even.ratio == null) continue;
      const b = t.break_even;
      const key = t.team + " · " + b.profile + " · " + (b.mode === "API" ? "API" : "self-hosted");
      seen.add(key);
      if (!ratioHistory.has(key)) ratioHistory.set(key, ratioTimes.slice(0, -1).map(() => null));
      ratioHistory.get(key).push(Number(b.ratio));
    }
    for (const [key, values] of ratioHistory) if (!seen.has(key)) values.push(null);
    if (ratioTimes.length > 720) { ratioTimes = ratioTimes.slice(-720); for (const v of ratioHistory.values()) v.splice(0, v.length - 720); }
    const keys = [...ratioHistory.keys()].sort();
    const series = keys.map((k, i) => ({label: k, stroke: PALETTE[i % PALETTE.length], width: 2, spanGaps: true}));
    series.push({label: "break-even 1.0", stroke: "#111827", dash: [6, 4], width: 1});
    chart("chart-ratio", series, {extra: {scales: {y: {distr: 3}}}})
      .setData([ratioTimes.slice()].concat(keys.map(k => ratioHistory.get(k))).concat([ratioTimes.map(() => 1)]));
    el("chart-ratio").dataset.points = String(keys.reduce((n, k) => n + ratioHistory.get(k).filter(v => v != null).length, 0));
  }

  function drawTable(teams) {
    const body = el("teams").querySelector("tbody");
    if (!teams.length) { body.innerHTML = '<tr><td colspan="8" class="empty">No teams yet: publish token-usage events or run the simulator.</td></tr>'; return; }
    body.innerHTML = teams.map(t => {
      const b = t.break_even;
      const switchText = !b ? "–" : b.mode === "API" ? "self-host " + esc(b.profile) + " (" + b.gpus + "× " + esc(b.gpu_model) + ")"
        : "move " + esc(b.profile) + " to " + esc(b.api_model);
      const ratio = !b ? "–" : b.ratio == null ? "∞" : Number(b.ratio).toFixed(2);
      const cls = b && (b.ratio == null || b.ratio > 1) ? "ratio-hi" : "ratio-lo";
      const pills = (t.alerts || []).map(a => '<span class="pill ' + (a.type === "IDLE_CAPACITY" ? "idle" : a.type === "SELF_HOSTING_CHEAPER" ? "cheaper" : "") + '">'
        + esc(a.type.toLowerCase().replace(/_/g, " ")) + "</span>").join("");
      return "<tr><td><b>" + esc(t.team) + "</b></td><td class=num>" + usd(t.api_usd_per_hour) + "</td><td class=num>" + usd(t.gpu_usd_per_hour)
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
    let api = 0, gpu = 0, idle = 0;
    for (const t of teams) { api += Number(t.api_usd_per_hour || 0); gpu += Number(t.gpu_usd_per_hour || 0); idle += Number(t.idle_gpus || 0); }
    el("kpi-total").textContent = usd(api + gpu);
    el("kpi-api").textContent = usd(api);
    el("kpi-gpu").textContent = usd(gpu);
    el("kpi-idle").textContent = idle.toFixed(1);
    el("kpi-alerts").textContent = String((alerts.active || []).length);
  }

  async function refresh() {
    const status = el("status");
    try {
      const [teams, alerts, timeline] = await Promise.all([getJson("/api/teams"), getJson("/api/alerts"), getJson("/api/timeline?minutes=60")]);
      drawKpis(teams.teams, alerts);
      drawTimeline(timeline.points);
      drawRatios(teams.teams);
      drawTable(teams.teams);
      drawAlerts(alerts);
      status.textContent = "live · " + teams.teams.length + " teams · " + new Date().toLocaleTimeString();
      status.className = "status ok";
      document.body.dataset.loaded = "true";
    } catch (e) {
      if (e instanceof Unauthorized) {
        sessionStorage.removeItem(TOKEN_KEY);
        status.textContent = e.message;
        status.className = "status bad";
        askForToken();
        return;
      }
      status.textContent = String(e.message || e) + " (retrying)";
      status.className = "status bad";
    }
  }

  window.spendMonitor = {charts: charts};
  refresh();
  setInterval(refresh, REFRESH_MS);
})();
