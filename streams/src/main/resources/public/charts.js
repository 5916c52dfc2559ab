// spend-monitor charts: small hand-drawn SVG line charts, no library, CSP-clean (attributes only, no inline styles).
(function () {
  "use strict";
  const NS = "http://www.w3.org/2000/svg";
  const PALETTE = ["#3b6ff5", "#12a37f", "#e0882b", "#9b51e0", "#d9434a", "#0ea5b7", "#a16207", "#64748b", "#db2777", "#4d7c0f"];
  const H = 230, L = 64, R = 24, T = 12, B = 28;

  // Money on the page: to the cent (the API keeps nano-dollars); a non-zero amount under a cent reads "<$0.01".
  function usd(v) {
    const n = Number(v);
    if (!isFinite(n)) return "–";
    const a = Math.abs(n), sign = n < 0 ? "−" : "";
    if (a > 0 && a < 0.005) return sign + "<$0.01";
    return sign + "$" + a.toLocaleString("en-US", {minimumFractionDigits: 2, maximumFractionDigits: 2});
  }
  const hhmm = ms => new Date(ms).toISOString().substring(11, 16);

  function node(name, attrs, parent) {
    const e = document.createElementNS(NS, name);
    for (const k in attrs) e.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(e);
    return e;
  }

  function ticks(min, max, n) {
    if (max <= min) return [min];
    const raw = (max - min) / n, mag = Math.pow(10, Math.floor(Math.log10(raw)));
    const step = [1, 2, 2.5, 5, 10].map(m => m * mag).find(s => s >= raw) || raw;
    const out = [];
    for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step) out.push(Math.round(v / step) * step);
    return out;
  }

  /**
   * Draws a line chart into target (replacing what was there).
   * opts: xs (epoch ms), series [{label, values, color?, dash?}], money, refLine (a y drawn dashed),
   *       markers [{x, label, color?}] (vertical ticks), provisionalFrom (x from which points are not final),
   *       yMin (default 0), empty (text when there are no points).
   */
  function line(target, opts) {
    // drawn at the card's own width, one unit a pixel, so text keeps its size in narrow and wide cards
    const W = Math.max(320, Math.round(target.clientWidth || 720));
    target.textContent = "";
    const xs = opts.xs || [];
    const series = opts.series || [];
    let count = 0;
    for (const s of series) for (const v of s.values) if (v != null && isFinite(v)) count++;
    target.dataset.points = String(count);
    if (!count) {
      const p = document.createElement("p");
      p.className = "empty chart-empty";
      p.textContent = opts.empty || "No data yet.";
      target.appendChild(p);
      return;
    }
    let x0 = Math.min(...xs), x1 = Math.max(...xs);
    if (x1 === x0) { x0 -= 60000; x1 += 60000; }
    let y0 = opts.yMin == null ? 0 : opts.yMin, y1 = -Infinity;
    for (const s of series) for (const v of s.values) if (v != null && isFinite(v)) { y1 = Math.max(y1, v); y0 = Math.min(y0, v); }
    if (opts.refLine != null) { y1 = Math.max(y1, opts.refLine * 1.1); y0 = Math.min(y0, opts.refLine); }
    if (y1 <= y0) y1 = y0 + 1;
    y1 += (y1 - y0) * 0.05;
    const px = x => L + (x - x0) / (x1 - x0) * (W - L - R);
    const py = y => T + (1 - (y - y0) / (y1 - y0)) * (H - T - B);

    const svg = node("svg", {viewBox: "0 0 " + W + " " + H, class: "chart-svg", role: "img", "aria-label": opts.title || "chart"});
    const axes = node("g", {class: "axes"}, svg);
    for (const v of ticks(y0, y1, 4)) {
      node("line", {x1: L, x2: W - R, y1: py(v), y2: py(v), class: "grid"}, axes);
      node("text", {x: L - 6, y: py(v) + 4, "text-anchor": "end", class: "tick"}, axes).textContent = opts.money ? usd(v) : String(+v.toFixed(3));
    }
    const xt = ticks(x0 / 60000, x1 / 60000, 6).map(m => m * 60000);
    for (const v of xt) {
      if (v < x0 || v > x1) continue;
      node("text", {x: px(v), y: H - 8, "text-anchor": "middle", class: "tick"}, axes).textContent = hhmm(v);
    }
    if (opts.provisionalFrom != null && opts.provisionalFrom <= x1) {
      const from = px(Math.max(x0, opts.provisionalFrom));
      node("rect", {x: from, y: T, width: Math.max(4, W - R - from), height: H - T - B, class: "provisional-band"}, svg);
      node("text", {x: Math.min(W - R - 4, from + 4), y: T + 12, "text-anchor": from > W - 140 ? "end" : "start",
        class: "provisional-label"}, svg).textContent = "open minute · provisional";
    }
    if (opts.refLine != null) {
      node("line", {x1: L, x2: W - R, y1: py(opts.refLine), y2: py(opts.refLine), class: "ref-line"}, svg);
      node("text", {x: W - R - 2, y: py(opts.refLine) - 4, "text-anchor": "end", class: "ref-label"}, svg).textContent = "break-even " + opts.refLine.toFixed(1);
    }
    series.forEach((s, i) => {
      const color = s.color || PALETTE[i % PALETTE.length];
      let d = "", pen = false;
      s.values.forEach((v, j) => {
        if (v == null || !isFinite(v)) { pen = false; return; }
        d += (pen ? "L" : "M") + px(xs[j]).toFixed(1) + " " + py(v).toFixed(1);
        pen = true;
      });
      node("path", {d: d, fill: "none", stroke: color, "stroke-width": 2, "stroke-dasharray": s.dash || "none", class: "series"}, svg);
      s.values.forEach((v, j) => {
        if (v == null || !isFinite(v)) return;
        const open = opts.provisionalFrom != null && xs[j] >= opts.provisionalFrom;
        const c = node("circle", {cx: px(xs[j]), cy: py(v), r: open ? 3.5 : 2, fill: open ? "#fff" : color, stroke: color,
          class: open ? "point provisional" : "point"}, svg);
        node("title", {}, c).textContent = s.label + " · " + hhmm(xs[j]) + " · " + (opts.money ? usd(v) : (+v.toFixed(3))) + (open ? " (provisional)" : "");
      });
    });
    for (const m of opts.markers || []) {
      if (m.x < x0 || m.x > x1) continue;
      const g = node("g", {class: "marker"}, svg);
      node("line", {x1: px(m.x), x2: px(m.x), y1: T, y2: H - B, stroke: m.color || "#d9434a", class: "marker-line"}, g);
      node("path", {d: "M" + (px(m.x) - 5) + " " + T + "l5 7l5 -7z", fill: m.color || "#d9434a"}, g);
      node("title", {}, g).textContent = m.label;
    }
    target.appendChild(svg);
    const legend = document.createElement("div");
    legend.className = "legend";
    series.forEach((s, i) => {
      const item = document.createElement("span");
      const swatch = document.createElement("i");
      swatch.className = "swatch";
      swatch.style.background = s.color || PALETTE[i % PALETTE.length]; // CSSOM, allowed by style-src
      item.appendChild(swatch);
      item.appendChild(document.createTextNode(s.label));
      legend.appendChild(item);
    });
    if ((opts.markers || []).length) {
      const item = document.createElement("span");
      item.className = "legend-marker";
      item.textContent = "▼ alert fired";
      legend.appendChild(item);
    }
    target.appendChild(legend);
  }

  /**
   * Every window start from the first to the last, gaps included: a minute without a window spent
   * nothing, and drawing it as 0 keeps a line from ramping across it. The step is the smallest gap
   * seen (the window size); at most 1,500 windows.
   */
  function everyWindow(starts) {
    const sorted = [...new Set(starts)].sort((a, b) => a - b);
    let step = Infinity;
    for (let i = 1; i < sorted.length; i++) step = Math.min(step, sorted[i] - sorted[i - 1]);
    if (!isFinite(step) || step <= 0 || (sorted[sorted.length - 1] - sorted[0]) / step > 1500) return sorted;
    const all = [];
    for (let t = sorted[0]; t <= sorted[sorted.length - 1]; t += step) all.push(t);
    return all;
  }

  // Shared by both pages: the API token (sessionStorage), JSON fetches, escaping.
  const TOKEN_KEY = "spend-monitor.api-token";
  class Unauthorized extends Error {}
  class Unreachable extends Error {}
  async function getJson(path) {
    const headers = {};
    const token = sessionStorage.getItem(TOKEN_KEY);
    if (token) headers["Authorization"] = "Bearer " + token;
    let response;
    try {
      response = await fetch(path, {cache: "no-store", headers: headers});
    } catch (e) {
      throw new Unreachable("the app is unreachable (is spend-monitor run still up?)");
    }
    if (response.status === 401) throw new Unauthorized(token ? "wrong API token" : "this app needs its API token");
    if (response.status === 503) throw new Unreachable("the app is starting or rebalancing; retrying");
    if (!response.ok) throw new Error(path + " answered " + response.status);
    return response.json();
  }
  const esc = s => String(s).replace(/[&<>"']/g, c => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c]));

  // Errors reach the DOM too (data-errors on <body>): the browser tests read them.
  window.addEventListener("error", e => {
    document.body.dataset.errors = String((Number(document.body.dataset.errors) || 0) + 1);
    document.body.dataset.lastError = String(e.message || e.error || "error");
  });
  window.addEventListener("unhandledrejection", e => {
    document.body.dataset.errors = String((Number(document.body.dataset.errors) || 0) + 1);
    document.body.dataset.lastError = String(e.reason && e.reason.message || e.reason);
  });

  window.SpendCharts = {line: line, everyWindow: everyWindow, usd: usd, hhmm: hhmm, PALETTE: PALETTE, getJson: getJson, esc: esc, TOKEN_KEY: TOKEN_KEY,
    Unauthorized: Unauthorized, Unreachable: Unreachable};
})();
