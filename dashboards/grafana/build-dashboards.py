#!/usr/bin/env python3
"""Writes the spend-monitor Grafana dashboards (grafana/dashboards/*.json) from one description.

The JSON files are what Grafana loads and what is committed; this script is their source, in the
spirit of kubernetes-mixin (which generates its dashboards with grafonnet): one place for the
datasource, the units, the thresholds and the layout conventions. Edit here, then run

    python3 dashboards/grafana/build-dashboards.py           # rewrite the JSON files and the
                                                             # layout drawings in README.md
    python3 dashboards/grafana/build-dashboards.py --check   # exit 1 when a JSON file (or a
                                                             # layout drawing in README.md) is stale
    python3 dashboards/grafana/build-dashboards.py --ascii   # the drawings for README.md

Conventions (check.sh enforces them):
  - every panel and target reads the `${datasource}` variable (type datasource, prometheus);
  - money per hour is `sum(rate(<usd counter>[5m])) * 3600` with unit currencyUSD;
  - ratios in 0..1 use percentunit, the break-even ratio (around 1) uses none, counts none;
  - the team variable appears only as team="$team" (single value) or team=~"$team" (multi).
  - gauges that hold one value per key (ratios, alert states) are read with max by (...): a key is
    exported by the instance that owns its team; counters and additive gauges are summed.
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
OUT_DIR = os.path.join(HERE, "dashboards")

DS = {"type": "prometheus", "uid": "${datasource}"}
RATE = "5m"  # rate window of every $/h and per-second panel
JOB = 'job="spend-monitor"'  # selector for the generic JVM / Kafka / up series
IDLE_UTILIZATION = 0.30  # the stream's IDLE_CAPACITY threshold (DESIGN.md default)
BUDGET_WARNING = 0.8  # matches budgetWarningRatio in prometheus/rules/spend-monitor.rules.yml
LAG_RECORDS = 10000  # matches consumerLagRecords in the rules

# ------------------------------------------------------------------------------------ helpers


def usd_per_hour(metric, selector="", by=None):
    """sum [by (...)] (rate(metric{selector}[5m])) * 3600: a USD counter as USD per hour."""
    sel = "{" + selector + "}" if selector else ""
    grouping = f" by ({', '.join(by)}) " if by else ""
    return f"sum{grouping}(rate({metric}{sel}[{RATE}])) * 3600"


def usd_per_hour_or_zero(metric, selector=""):
    """Total USD/h that reads 0 rather than 'No data' when the team has no such spend."""
    sel = "{" + selector + "}" if selector else ""
    return f"(sum(rate({metric}{sel}[{RATE}])) or vector(0)) * 3600"


def target(expr, legend="", ref="A", instant=False, table=False):
    t = {
        "datasource": DS,
        "editorMode": "code",
        "expr": expr,
        "legendFormat": legend or "__auto",
        "range": not instant,
        "instant": instant,
        "refId": ref,
    }
    if table:
        t["format"] = "table"
    return t


def steps(*pairs):
    """Threshold steps: steps('green', (0.8, 'orange'), (1, 'red'))."""
    base, rest = pairs[0], pairs[1:]
    return {"mode": "absolute",
            "steps": [{"color": base, "value": None}] + [{"color": c, "value": v} for v, c in rest]}


class Layout:
    """Places panels left to right on Grafana's 24-column grid, wrapping to a new line."""

    def __init__(self):
        self.x = 0
        self.y = 0
        self.line_h = 0
        self.next_id = 1
        self.panels = []

    def add(self, panel, w, h):
        if self.x + w > 24:
            self.newline()
        panel["id"] = self.next_id
        self.next_id += 1
        panel["gridPos"] = {"h": h, "w": w, "x": self.x, "y": self.y}
        self.panels.append(panel)
        self.x += w
        self.line_h = max(self.line_h, h)
        return panel

    def newline(self):
        if self.x:
            self.y += self.line_h
        self.x = 0
        self.line_h = 0

    def row(self, title):
        self.newline()
        self.add({"type": "row", "title": title, "collapsed": False, "panels": []}, 24, 1)
        self.newline()


def base_panel(kind, title, description, targets):
    return {
        "type": kind,
        "title": title,
        "description": description,
        "datasource": DS,
        "targets": targets,
    }


def timeseries(title, description, targets, unit, stack=False, min_=None, max_=None,
               threshold_steps=None, threshold_style="off", decimals=None, links=None, legend_calcs=None):
    defaults = {
        "unit": unit,
        "color": {"mode": "palette-classic"},
        "custom": {
            "drawStyle": "line",
            "lineWidth": 1,
            "fillOpacity": 20 if stack else 0,
            "gradientMode": "none",
            "showPoints": "never",
            "spanNulls": False,
            "axisPlacement": "auto",
            "stacking": {"mode": "normal" if stack else "none", "group": "A"},
            "thresholdsStyle": {"mode": threshold_style},
        },
        "thresholds": threshold_steps or steps("green"),
        "mappings": [],
    }
    if min_ is not None:
        defaults["min"] = min_
    if max_ is not None:
        defaults["max"] = max_
    if decimals is not None:
        defaults["decimals"] = decimals
    if links:
        defaults["links"] = links
    p = base_panel("timeseries", title, description, targets)
    p["fieldConfig"] = {"defaults": defaults, "overrides": []}
    p["options"] = {
        "legend": {"showLegend": True, "displayMode": "table", "placement": "bottom",
                   "calcs": legend_calcs if legend_calcs is not None else ["lastNotNull", "mean", "max"]},
        "tooltip": {"mode": "multi", "sort": "desc"},
    }
    return p


def stat(title, description, expr, unit, threshold_steps=None, decimals=None, graph=True):
    p = base_panel("stat", title, description, [target(expr, ref="A")])
    defaults = {
        "unit": unit,
        "color": {"mode": "thresholds"},
        "thresholds": threshold_steps or steps("blue"),
        "mappings": [],
    }
    if decimals is not None:
        defaults["decimals"] = decimals
    p["fieldConfig"] = {"defaults": defaults, "overrides": []}
    p["options"] = {
        "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
        "colorMode": "value",
        "graphMode": "area" if graph else "none",
        "justifyMode": "auto",
        "orientation": "auto",
        "textMode": "auto",
        "wideLayout": True,
        "showPercentChange": False,
    }
    return p


ALERT_STATE_MAPPINGS = [{
    "type": "value",
    "options": {
        "0": {"text": "ok", "color": "green", "index": 0},
        "1": {"text": "FIRING", "color": "red", "index": 1},
    },
}]


def alert_states(title, description, expr, legend):
    """A state timeline of spend_alert_active (0 ok, 1 FIRING) per alert key."""
    p = base_panel("state-timeline", title, description, [target(expr, legend)])
    p["fieldConfig"] = {
        "defaults": {
            "color": {"mode": "thresholds"},
            "thresholds": steps("green", (1, "red")),
            "mappings": ALERT_STATE_MAPPINGS,
            "unit": "none",
            "custom": {"fillOpacity": 80, "lineWidth": 0},
        },
        "overrides": [],
    }
    p["options"] = {
        "mergeValues": True,
        "showValue": "never",
        "alignValue": "left",
        "rowHeight": 0.8,
        "legend": {"showLegend": False, "displayMode": "list", "placement": "bottom"},
        "tooltip": {"mode": "single", "sort": "none"},
    }
    return p


def table(title, description, targets, columns, sort_by):
    """An instant table: each target is one value column, merged on the shared labels.

    columns: refId -> (column title, unit); sort_by: a column title (descending)."""
    p = base_panel("table", title, description, targets)
    overrides = []
    rename = {}
    for ref, (name, unit) in columns.items():
        rename[f"Value #{ref}"] = name
        overrides.append({"matcher": {"id": "byName", "options": name},
                          "properties": [{"id": "unit", "value": unit}]})
    p["transformations"] = [
        {"id": "merge", "options": {}},
        {"id": "organize", "options": {"excludeByName": {"Time": True}, "indexByName": {},
                                       "renameByName": rename}},
    ]
    p["fieldConfig"] = {"defaults": {"custom": {"align": "auto", "filterable": True},
                                     "thresholds": steps("text"), "mappings": []},
                        "overrides": overrides}
    p["options"] = {"showHeader": True, "cellHeight": "sm",
                    "sortBy": [{"displayName": sort_by, "desc": True}],
                    "footer": {"show": False, "reducer": ["sum"], "fields": ""}}
    return p


def bargauge(title, description, expr, legend, unit):
    p = base_panel("bargauge", title, description, [target(expr, legend, instant=True)])
    p["fieldConfig"] = {"defaults": {"unit": unit, "min": 0, "color": {"mode": "continuous-BlYlRd"},
                                     "thresholds": steps("green"), "mappings": []},
                        "overrides": []}
    p["options"] = {"orientation": "horizontal", "displayMode": "gradient", "valueMode": "color",
                    "showUnfilled": True, "namePlacement": "auto", "sizing": "auto",
                    "minVizHeight": 16, "minVizWidth": 8, "maxVizHeight": 300,
                    "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False}}
    return p


def datasource_variable():
    return {"name": "datasource", "label": "Data source", "type": "datasource", "query": "prometheus",
            "current": {"selected": False, "text": "Prometheus", "value": "prometheus"}, "hide": 0, "includeAll": False, "multi": False, "options": [],
            "refresh": 1, "regex": "", "skipUrlSync": False}


# Teams with API spend or GPU cost: a team that only self-hosts has no llm_api_cost_usd_total.
TEAM_VALUES = 'label_values({__name__=~"llm_api_cost_usd_total|gpu_cost_usd_total"}, team)'


def team_variable(multi, query=TEAM_VALUES):
    v = {"name": "team", "label": "Team", "type": "query", "datasource": DS,
         "definition": query,
         "query": {"query": query, "refId": "PrometheusVariableQueryEditor-VariableQuery"},
         "current": {}, "hide": 0, "options": [], "refresh": 2, "regex": "", "sort": 1,
         "skipUrlSync": False, "multi": multi, "includeAll": multi}
    if multi:
        v["allValue"] = ".+"
    return v


def dashboard(uid, title, description, layout, variables):
    return {
        "id": None,
        "uid": uid,
        "title": title,
        "description": description,
        "tags": ["spend-monitor"],
        "timezone": "utc",
        "editable": True,
        "graphTooltip": 1,
        "fiscalYearStartMonth": 0,
        "liveNow": False,
        "refresh": "10s",
        "schemaVersion": 39,
        "version": 1,
        "time": {"from": "now-6h", "to": "now"},
        "timepicker": {"refresh_intervals": ["10s", "30s", "1m", "5m", "15m"]},
        "links": [{"title": "spend-monitor", "type": "dashboards", "tags": ["spend-monitor"], "asDropdown": True,
                   "includeVars": False, "keepTime": True, "targetBlank": False, "icon": "external link",
                   "tooltip": "", "url": ""}],
        "annotations": {"list": [{
            "builtIn": 1, "datasource": {"type": "grafana", "uid": "-- Grafana --"}, "enable": True,
            "hide": True, "iconColor": "rgba(0, 211, 255, 1)", "name": "Annotations & Alerts",
            "type": "dashboard"}]},
        "templating": {"list": [datasource_variable()] + variables},
        "panels": layout.panels,
    }


TEAM_LINK = [{"title": "Team ${__field.labels.team}",
              "url": "/d/spend-team/spend-monitor-team?${datasource:queryparam}&var-team=${__field.labels.team}"
                     "&${__url_time_range}"}]

# ------------------------------------------------------------------------------------ overview


def overview():
    L = Layout()
    L.add(stat("Total spend /h", "API spend plus self-hosted GPU cost, USD per hour (5m rate).",
               f"((sum(rate(llm_api_cost_usd_total[{RATE}])) or vector(0)) + "
               f"(sum(rate(gpu_cost_usd_total[{RATE}])) or vector(0))) * 3600",
               "currencyUSD", decimals=2), 4, 4)
    L.add(stat("API spend /h", "Spend on API providers, USD per hour.",
               usd_per_hour_or_zero("llm_api_cost_usd_total"), "currencyUSD", decimals=2), 4, 4)
    L.add(stat("Self-hosted GPU cost /h", "Cost of the GPUs of self-hosted deployments, USD per hour.",
               usd_per_hour_or_zero("gpu_cost_usd_total"), "currencyUSD", decimals=2), 4, 4)
    L.add(stat("Idle GPU cost /h", "The part of the GPU cost paid for idle GPU time, USD per hour.",
               usd_per_hour_or_zero("gpu_idle_cost_usd_total"), "currencyUSD", decimals=2,
               threshold_steps=steps("green", (1, "orange"))), 4, 4)
    L.add(stat("Spend alerts firing", "Stream alerts in state FIRING (break-even, idle capacity, budget).",
               "count(max by (team, type, subject) (spend_alert_active) == 1) or vector(0)", "none",
               threshold_steps=steps("green", (1, "orange")), graph=False), 4, 4)
    L.add(stat("Rejected events /s", "Events sent to spend.dead-letter, per second (all reasons).",
               f"sum(rate(spend_events_rejected_total[{RATE}])) or vector(0)", "cps", decimals=2,
               threshold_steps=steps("green", (0.1, "orange"))), 4, 4)

    L.add(timeseries("Spend by team ($/h, API + GPU)",
                     "API spend plus self-hosted GPU cost per team, USD per hour. Click a series for the team dashboard.",
                     [target(f"sum by (team) (rate(llm_api_cost_usd_total[{RATE}]) or rate(gpu_cost_usd_total[{RATE}])) * 3600",
                             "{{team}}")],
                     "currencyUSD", stack=True, min_=0, links=TEAM_LINK), 12, 8)
    L.add(timeseries("API vs self-hosted ($/h)",
                     "API spend against self-hosted GPU cost (of which idle), USD per hour.",
                     [target(usd_per_hour("llm_api_cost_usd_total"), "API", "A"),
                      target(usd_per_hour("gpu_cost_usd_total"), "Self-hosted (GPU)", "B"),
                      target(usd_per_hour("gpu_idle_cost_usd_total"), "of which idle GPU", "C")],
                     "currencyUSD", min_=0), 12, 8)

    L.add(timeseries("API spend by provider ($/h)", "API spend per provider, USD per hour.",
                     [target(usd_per_hour("llm_api_cost_usd_total", by=["provider"]), "{{provider}}")],
                     "currencyUSD", stack=True, min_=0), 12, 8)
    L.add(timeseries("API spend by model ($/h, top 10)", "The ten API models with the largest spend, USD per hour.",
                     [target(f"topk(10, {usd_per_hour('llm_api_cost_usd_total', by=['provider', 'model'])})",
                             "{{provider}}/{{model}}")],
                     "currencyUSD", stack=True, min_=0), 12, 8)

    L.add(timeseries("Self-hosted GPU cost by team and GPU model ($/h)",
                     "GPU cost of self-hosted deployments, USD per hour.",
                     [target(usd_per_hour("gpu_cost_usd_total", by=["team", "gpu_model"]), "{{team}} {{gpu_model}}")],
                     "currencyUSD", stack=True, min_=0, links=TEAM_LINK), 12, 8)
    L.add(bargauge("Spend by team, last 24h (USD)", "API spend plus GPU cost per team over the last 24 hours.",
                   "sort_desc(sum by (team) (increase(llm_api_cost_usd_total[24h]) or increase(gpu_cost_usd_total[24h])))",
                   "{{team}}", "currencyUSD"), 12, 8)

    L.add(timeseries("Tokens /s by type",
                     "Token throughput of all calls. input counts ALL input tokens: cached and cache_write are part of it, "
                     "so the series do not add up.",
                     [target(f"sum by (type) (rate(llm_tokens_total[{RATE}]))", "{{type}}")],
                     "cps", min_=0), 12, 8)
    L.add(timeseries("Rejected events /s by reason",
                     "Events sent to spend.dead-letter by reason (undecodable, unknown-schema-id, unpriced, ...).",
                     [target(f"sum by (reason) (rate(spend_events_rejected_total[{RATE}]))", "{{reason}}")],
                     "cps", min_=0, threshold_steps=steps("green", (0.1, "red")), threshold_style="dashed"), 12, 8)

    L.row("Pipeline health")
    L.add(stat("Instances up", "spend-monitor instances answering Prometheus' scrapes.",
               f"sum(up{{{JOB}}})", "none", threshold_steps=steps("red", (1, "green")), graph=False), 4, 8)
    L.add(timeseries("Records processed /s by instance", "Kafka Streams process rate, summed over stream threads.",
                     [target(f"sum by (instance) (kafka_stream_thread_process_rate{{{JOB}}})", "{{instance}}")],
                     "cps", min_=0), 10, 8)
    L.add(timeseries("Consumer lag (max records)",
                     "records-lag-max of the stream consumers (restore consumers excluded); the dashed line is the "
                     "SpendConsumerLagHigh threshold.",
                     [target(f"max by (instance) (kafka_consumer_fetch_manager_records_lag_max{{{JOB}, "
                             f"client_id!~\".*restore-consumer.*\"}})", "{{instance}}")],
                     "none", min_=0, threshold_steps=steps("green", (LAG_RECORDS, "red")),
                     threshold_style="dashed"), 10, 8)
    L.add(timeseries("JVM heap used", "Heap memory in use per instance.",
                     [target(f"sum by (instance) (jvm_memory_used_bytes{{{JOB}, area=\"heap\"}})", "{{instance}}")],
                     "bytes", min_=0), 12, 7)
    L.add(timeseries("Process CPU", "CPU used by the JVM process, share of the available cores.",
                     [target(f"max by (instance) (process_cpu_usage{{{JOB}}})", "{{instance}}")],
                     "percentunit", min_=0, max_=1), 12, 7)

    return dashboard("spend-overview", "spend-monitor / Overview",
                     "LLM spend by team, provider and model; API against self-hosted; rejected events; pipeline health.",
                     L, [])


# ------------------------------------------------------------------------------------ team


def team():
    T = 'team="$team"'
    L = Layout()
    L.add(stat("API spend /h", "This team's API spend, USD per hour.",
               usd_per_hour_or_zero("llm_api_cost_usd_total", T), "currencyUSD", decimals=2), 4, 4)
    L.add(stat("GPU cost /h", "This team's self-hosted GPU cost, USD per hour.",
               usd_per_hour_or_zero("gpu_cost_usd_total", T), "currencyUSD", decimals=2), 4, 4)
    L.add(stat("Idle GPU cost /h", "The part of the GPU cost paid for idle GPU time, USD per hour.",
               usd_per_hour_or_zero("gpu_idle_cost_usd_total", T), "currencyUSD", decimals=2,
               threshold_steps=steps("green", (1, "orange"))), 4, 4)
    L.add(stat("GPU utilization", "Busy share of this team's GPU cost (1 - idle cost / GPU cost), 5m. "
                                  f"Below {IDLE_UTILIZATION:.0%} for 15 minutes, a deployment raises IDLE_CAPACITY.",
               f"1 - sum(rate(gpu_idle_cost_usd_total{{{T}}}[{RATE}])) / sum(rate(gpu_cost_usd_total{{{T}}}[{RATE}]))",
               "percentunit", decimals=0, threshold_steps=steps("red", (IDLE_UTILIZATION, "green"))), 4, 4)
    budget_steps = steps("green", (BUDGET_WARNING, "orange"), (1, "red"))
    L.add(stat("Budget used today", "Spend of the UTC day / the daily budget (API + GPU).",
               f'max(spend_budget_used_ratio{{{T}, period="day"}})', "percentunit", decimals=0,
               threshold_steps=budget_steps, graph=False), 4, 4)
    L.add(stat("Budget used this month", "Spend of the UTC month / the monthly budget (API + GPU).",
               f'max(spend_budget_used_ratio{{{T}, period="month"}})', "percentunit", decimals=0,
               threshold_steps=budget_steps, graph=False), 4, 4)

    L.add(timeseries("API spend by model ($/h)", "This team's API spend per provider and model, USD per hour.",
                     [target(usd_per_hour("llm_api_cost_usd_total", T, ["provider", "model"]), "{{provider}}/{{model}}")],
                     "currencyUSD", stack=True, min_=0), 12, 8)
    L.add(timeseries("GPU cost and idle cost by deployment ($/h)",
                     "Self-hosted GPU cost per deployment, and the idle part of it, USD per hour.",
                     [target(usd_per_hour("gpu_cost_usd_total", T, ["deployment", "gpu_model"]),
                             "{{deployment}} ({{gpu_model}})", "A"),
                      target(usd_per_hour("gpu_idle_cost_usd_total", T, ["deployment"]), "{{deployment}} idle", "B")],
                     "currencyUSD", min_=0), 12, 8)

    L.add(timeseries("GPU utilization by deployment",
                     "Busy GPU-seconds / GPU-seconds of the last finalized minute. The dashed line is the idle "
                     "threshold of IDLE_CAPACITY.",
                     [target(f"max by (deployment, gpu_model) (gpu_utilization_ratio{{{T}}})",
                             "{{deployment}} ({{gpu_model}})")],
                     "percentunit", min_=0, max_=1,
                     threshold_steps=steps("red", (IDLE_UTILIZATION, "green")), threshold_style="dashed"), 12, 8)
    L.add(timeseries("Tokens /s by type",
                     "This team's token throughput. input counts ALL input tokens (cached and cache_write are part of it).",
                     [target(f"sum by (type) (rate(llm_tokens_total{{{T}}}[{RATE}]))", "{{type}}")],
                     "cps", min_=0), 12, 8)

    L.add(timeseries("Break-even ratio by profile",
                     "API mode: API cost / what self-hosting the profile would cost (above 1: self-hosting would be "
                     "cheaper). SELF_HOSTED mode: GPU cost / what the API would charge (above 1: self-hosting is "
                     "dearer). Above the line at 1, a switch saves money.",
                     [target(f"max by (profile, mode, api_model) (llm_selfhost_vs_api_ratio{{{T}}})",
                             "{{profile}} {{mode}} vs {{api_model}}")],
                     "none", min_=0, decimals=2, threshold_steps=steps("green", (1, "red")), threshold_style="line"), 12, 8)
    L.add(timeseries("Switch savings by profile ($/h)",
                     "USD per hour a switch would save (negative: it would cost more), over the trailing horizon.",
                     [target(f"max by (profile, mode) (llm_switch_savings_usd_per_hour{{{T}}})", "{{profile}} {{mode}}")],
                     "currencyUSD", threshold_steps=steps("text", (0, "green")), threshold_style="dashed"), 12, 8)

    L.add(timeseries("Repeated prompts (share of hashed calls)",
                     "Share of this team's calls with a prompt_hash whose prompt was already seen within "
                     "spend.repeats.horizon (60 minutes), as of the last final minute. A HyperLogLog estimate "
                     "(about 1 %); calls without a hash are not counted.",
                     [target(f"max(llm_repeat_share{{{T}}})", "repeat share")],
                     "percentunit", min_=0, max_=1, decimals=2), 12, 8)
    L.add(timeseries("Cacheable cost of repeated prompts ($/h)",
                     "Estimated USD per hour of repeated calls (hashed calls' cost x repeat share): what an "
                     "exact-match response cache could save. The provider's own prompt caching is a different "
                     "saving: the cached line of Tokens /s by type.",
                     [target(usd_per_hour("llm_cacheable_cost_usd_total", T), "cacheable $/h")],
                     "currencyUSD", min_=0), 12, 8)

    L.add(timeseries("API spend by customer / feature ($/h)",
                     "This team's API spend split by the attribution labels of its calls (spend.attribution.keys, "
                     "default customer and feature), USD per hour, the top 10 label values. Calls without the label "
                     "are not in it; values past spend.attribution.max-values are summed as other.",
                     [target(f"topk(10, {usd_per_hour('llm_attributed_cost_usd_total', T, ['key', 'value'])})",
                             "{{key}}={{value}}")],
                     "currencyUSD", min_=0), 12, 8)
    L.add(timeseries("Self-host capacity per replica (tokens/s)",
                     "The throughput break-even sizes replicas with, per profile: declared (the profile's "
                     "tokens_per_second_per_replica) and measured (vLLM's token counters per busy GPU-second x "
                     "gpus_per_replica, once gpu-collector --vllm-url publishes them). Break-even uses the measured "
                     "one once spend.capacity.min-evidence of busy-enough time is measured.",
                     [target(f"max by (profile, source) (llm_selfhost_capacity_tokens_per_second{{{T}}})",
                             "{{profile}} {{source}}")],
                     "none", min_=0), 12, 8)

    L.add(alert_states("Alert states",
                       "The stream's alerts for this team: SELF_HOSTING_CHEAPER / SELF_HOSTING_DEARER per profile, "
                       "IDLE_CAPACITY per deployment, BUDGET per period.",
                       f"max by (type, subject) (spend_alert_active{{{T}}})", "{{type}} {{subject}}"), 24, 8)

    return dashboard("spend-team", "spend-monitor / Team",
                     "One team: API spend by model, GPU and idle cost, utilization, break-even and alert states.",
                     L, [team_variable(multi=False)])


# ------------------------------------------------------------------------------------ gpu idle


def gpu_idle():
    T = 'team=~"$team"'
    L = Layout()
    L.add(stat("Idle GPUs", "Idle GPU equivalents in the last finalized minute, summed over the selected teams.",
               f"sum(gpu_idle_gpus{{{T}}}) or vector(0)", "none", decimals=1,
               threshold_steps=steps("green", (1, "orange"))), 6, 4)
    L.add(stat("Idle GPU cost /h", "GPU cost paid for idle time, USD per hour.",
               usd_per_hour_or_zero("gpu_idle_cost_usd_total", T), "currencyUSD", decimals=2,
               threshold_steps=steps("green", (1, "orange"))), 6, 4)
    L.add(stat("GPU utilization (cost-weighted)", "1 - idle cost / GPU cost over the selected teams, 5m.",
               f"1 - sum(rate(gpu_idle_cost_usd_total{{{T}}}[{RATE}])) / sum(rate(gpu_cost_usd_total{{{T}}}[{RATE}]))",
               "percentunit", decimals=0, threshold_steps=steps("red", (IDLE_UTILIZATION, "green"))), 6, 4)
    L.add(stat("Deployments IDLE_CAPACITY", "Deployments whose IDLE_CAPACITY alert is FIRING.",
               f'count(max by (team, subject) (spend_alert_active{{type="IDLE_CAPACITY", {T}}}) == 1) or vector(0)',
               "none", threshold_steps=steps("green", (1, "red")), graph=False), 6, 4)

    L.add(timeseries("GPU utilization by deployment",
                     "Busy GPU-seconds / GPU-seconds of the last finalized minute per deployment. Below the dashed "
                     f"line ({IDLE_UTILIZATION:.0%}) for 15 consecutive minutes, IDLE_CAPACITY fires.",
                     [target(f"max by (team, deployment, gpu_model) (gpu_utilization_ratio{{{T}}})",
                             "{{team}}/{{deployment}} ({{gpu_model}})")],
                     "percentunit", min_=0, max_=1,
                     threshold_steps=steps("red", (IDLE_UTILIZATION, "green")), threshold_style="dashed"), 24, 9)

    L.add(timeseries("Idle GPUs by team", "Idle GPU equivalents per team in the last finalized minute.",
                     [target(f"sum by (team) (gpu_idle_gpus{{{T}}})", "{{team}}")],
                     "none", stack=True, min_=0, decimals=1, links=TEAM_LINK), 8, 8)
    L.add(timeseries("Idle GPU cost by deployment ($/h)", "GPU cost paid for idle time per deployment, USD per hour.",
                     [target(usd_per_hour("gpu_idle_cost_usd_total", T, ["team", "deployment"]), "{{team}}/{{deployment}}")],
                     "currencyUSD", stack=True, min_=0), 8, 8)
    L.add(timeseries("Idle share of GPU cost by GPU model", "Idle cost / GPU cost per GPU model, 5m.",
                     [target(f"sum by (gpu_model) (rate(gpu_idle_cost_usd_total{{{T}}}[{RATE}])) / "
                             f"sum by (gpu_model) (rate(gpu_cost_usd_total{{{T}}}[{RATE}]))", "{{gpu_model}}")],
                     "percentunit", min_=0, max_=1), 8, 8)

    L.add(table("Deployments now", "Idle cost and utilization per deployment, largest idle cost first.",
                [target(usd_per_hour("gpu_idle_cost_usd_total", T, ["team", "deployment", "gpu_model"]), ref="A",
                        instant=True, table=True),
                 target(f"max by (team, deployment, gpu_model) (gpu_utilization_ratio{{{T}}})", ref="B",
                        instant=True, table=True)],
                {"A": ("idle $/h", "currencyUSD"), "B": ("utilization", "percentunit")}, "idle $/h"), 12, 8)
    L.add(alert_states("IDLE_CAPACITY by deployment", "The stream's IDLE_CAPACITY alert per team and deployment.",
                       f'max by (team, subject) (spend_alert_active{{type="IDLE_CAPACITY", {T}}})',
                       "{{team}}/{{subject}}"), 12, 8)

    return dashboard("spend-gpu-idle", "spend-monitor / GPU idle capacity",
                     "Self-hosted GPUs: utilization by deployment, idle GPUs, idle cost and IDLE_CAPACITY alerts.",
                     L, [team_variable(multi=True, query="label_values(gpu_cost_usd_total, team)")])


# ------------------------------------------------------------------------------------ break-even


def break_even():
    T = 'team=~"$team"'
    L = Layout()
    L.add(stat("Switches that save money", "Team/profile pairs whose switch would save money now (savings > 0).",
               f"count(max by (team, profile, mode) (llm_switch_savings_usd_per_hour{{{T}}}) > 0) or vector(0)",
               "none", threshold_steps=steps("green", (1, "orange")), graph=False), 6, 4)
    L.add(stat("Largest saving available /h", "The largest USD/h a single switch would save (negative: none would).",
               f"max(llm_switch_savings_usd_per_hour{{{T}}})", "currencyUSD", decimals=2,
               threshold_steps=steps("text", (0.01, "green"))), 6, 4)
    L.add(stat("SELF_HOSTING_CHEAPER firing", "Team/profile pairs where self-hosting would be cheaper than the API.",
               f'count(max by (team, subject) (spend_alert_active{{type="SELF_HOSTING_CHEAPER", {T}}}) == 1) or vector(0)',
               "none", threshold_steps=steps("green", (1, "orange")), graph=False), 6, 4)
    L.add(stat("SELF_HOSTING_DEARER firing", "Team/profile pairs where self-hosting costs more than the API would.",
               f'count(max by (team, subject) (spend_alert_active{{type="SELF_HOSTING_DEARER", {T}}}) == 1) or vector(0)',
               "none", threshold_steps=steps("green", (1, "orange")), graph=False), 6, 4)

    ratio_steps = steps("green", (1, "red"))
    L.add(timeseries("API mode: API cost / self-host cost",
                     "Teams calling an API: API cost over the trailing horizon / what self-hosting the profile would "
                     "cost. Above the line at 1, self-hosting would be cheaper (SELF_HOSTING_CHEAPER fires after N "
                     "evaluations above 1 + margin).",
                     [target(f'max by (team, profile, api_model) (llm_selfhost_vs_api_ratio{{mode="API", {T}}})',
                             "{{team}}: {{profile}} vs {{api_model}}")],
                     "none", min_=0, decimals=2, threshold_steps=ratio_steps, threshold_style="line"), 12, 9)
    L.add(timeseries("Self-hosted mode: GPU cost / API cost",
                     "Teams self-hosting: GPU cost over the trailing horizon / what the API equivalent would charge "
                     "for the same tokens. Above the line at 1, self-hosting is dearer (SELF_HOSTING_DEARER fires "
                     "after N evaluations above 1 + margin).",
                     [target(f'max by (team, profile, api_model) (llm_selfhost_vs_api_ratio{{mode="SELF_HOSTED", {T}}})',
                             "{{team}}: {{profile}} vs {{api_model}}")],
                     "none", min_=0, decimals=2, threshold_steps=ratio_steps, threshold_style="line"), 12, 9)

    L.add(timeseries("Switch savings by team and profile ($/h)",
                     "USD per hour a switch would save (negative: it would cost more). API mode: switch to "
                     "self-hosting; SELF_HOSTED mode: switch to the API.",
                     [target(f"max by (team, profile, mode) (llm_switch_savings_usd_per_hour{{{T}}})",
                             "{{team}}: {{profile}} ({{mode}})")],
                     "currencyUSD", threshold_steps=steps("text", (0, "green")), threshold_style="dashed",
                     links=TEAM_LINK), 24, 8)

    L.add(table("Break-even now", "Current ratio and savings per team, profile and mode, largest saving first.",
                [target(f"max by (team, profile, mode) (llm_selfhost_vs_api_ratio{{{T}}})", ref="A",
                        instant=True, table=True),
                 target(f"max by (team, profile, mode) (llm_switch_savings_usd_per_hour{{{T}}})", ref="B",
                        instant=True, table=True)],
                {"A": ("ratio", "none"), "B": ("savings $/h", "currencyUSD")}, "savings $/h"), 12, 8)
    L.add(alert_states("Break-even alert states",
                       "SELF_HOSTING_CHEAPER (API mode) and SELF_HOSTING_DEARER (self-hosted mode) per team and profile.",
                       f'max by (team, type, subject) (spend_alert_active{{type=~"SELF_HOSTING_CHEAPER|SELF_HOSTING_DEARER", {T}}})',
                       "{{team}} {{type}}: {{subject}}"), 12, 8)

    return dashboard("spend-break-even", "spend-monitor / Break-even",
                     "Self-hosting against the API per team and profile: ratio against 1, savings per hour, alerts.",
                     L, [team_variable(multi=True)])


DASHBOARDS = {
    "overview.json": overview,
    "team.json": team,
    "gpu-idle.json": gpu_idle,
    "break-even.json": break_even,
}


def render(build):
    return json.dumps(build(), indent=2, ensure_ascii=False) + "\n"


def ascii_layout(d, col=4):
    """The panel layout of dashboard d as an ASCII drawing: one box per panel, `col` characters
    per grid column, panels that start on the same grid line drawn side by side."""
    import textwrap
    lines_by_y = {}
    for p in d["panels"]:
        lines_by_y.setdefault(p["gridPos"]["y"], []).append(p)
    width = 24 * col + 1
    out = []
    for y in sorted(lines_by_y):
        panels = sorted(lines_by_y[y], key=lambda p: p["gridPos"]["x"])
        if panels[0]["type"] == "row":
            title = " " + panels[0]["title"] + " "
            out.append("==" + title + "=" * (width - 2 - len(title)))
            continue
        boxes = []
        for p in panels:
            left, right = p["gridPos"]["x"] * col, (p["gridPos"]["x"] + p["gridPos"]["w"]) * col
            boxes.append((left, right, textwrap.wrap(p["title"], right - left - 3) or [""]))
        height = max(len(t) for _, _, t in boxes)
        edge, rows = [" "] * width, [[" "] * width for _ in range(height)]
        for left, right, text in boxes:
            for c in range(left, right + 1):
                edge[c] = "+" if c in (left, right) else "-"
            for r in range(height):
                rows[r][left] = rows[r][right] = "|"
                if r < len(text):
                    rows[r][left + 2:left + 2 + len(text[r])] = list(text[r])
        out.append("".join(edge).rstrip())
        out.extend("".join(r).rstrip() for r in rows)
        out.append("".join(edge).rstrip())
    return "\n".join(out)


README = os.path.join(os.path.dirname(HERE), "README.md")


def update_readme_layouts():
    """Rewrites the drawings between the README's layout markers (a missing block is left out)."""
    try:
        with open(README, encoding="utf-8") as f:
            text = f.read()
    except FileNotFoundError:
        return
    for name, build in DASHBOARDS.items():
        start, end = f"<!-- layout:{name} -->", "<!-- /layout -->"
        i = text.find(start)
        j = text.find(end, i)
        if i >= 0 and j >= 0:
            text = text[:i + len(start)] + f"\n```\n{ascii_layout(build())}\n```\n" + text[j:]
    with open(README, "w", encoding="utf-8") as f:
        f.write(text)


def readme_layouts_problems():
    """The README's drawings (between <!-- layout:NAME --> and <!-- /layout -->) must match."""
    try:
        with open(README, encoding="utf-8") as f:
            text = f.read()
    except FileNotFoundError:
        return ["README.md missing"]
    problems = []
    for name, build in DASHBOARDS.items():
        want = ascii_layout(build())
        start, end = f"<!-- layout:{name} -->", "<!-- /layout -->"
        i = text.find(start)
        j = text.find(end, i)
        if i < 0 or j < 0:
            problems.append(f"README.md has no {start} ... {end} block")
            continue
        block = text[i + len(start):j].strip().strip("`").strip()
        if block != want:
            problems.append(f"README.md: the drawing of {name} is stale (print it with --ascii)")
    return problems


def main(argv):
    if "--ascii" in argv:
        for name, build in DASHBOARDS.items():
            print(f"<!-- layout:{name} -->\n```\n{ascii_layout(build())}\n```\n<!-- /layout -->\n")
        return 0
    check = "--check" in argv
    stale = []
    os.makedirs(OUT_DIR, exist_ok=True)
    for name, build in DASHBOARDS.items():
        path = os.path.join(OUT_DIR, name)
        text = render(build)
        if check:
            try:
                with open(path, encoding="utf-8") as f:
                    if f.read() != text:
                        stale.append(name)
            except FileNotFoundError:
                stale.append(name)
        else:
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
            print(f"wrote {os.path.relpath(path)}")
    if not check:
        update_readme_layouts()
        print(f"updated the layout drawings in {os.path.relpath(README)}")
    if stale:
        print("stale dashboards (edit build-dashboards.py, then run it): " + ", ".join(stale), file=sys.stderr)
    layout_problems = readme_layouts_problems() if check else []
    for problem in layout_problems:
        print(problem, file=sys.stderr)
    return 1 if stale or layout_problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
