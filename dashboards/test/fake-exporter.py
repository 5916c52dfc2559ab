#!/usr/bin/env python3
"""A stand-in for spend-monitor's GET /metrics, for the live self-test of the dashboards' queries.

It exports every metric family the dashboards and alert rules read, with the label sets the app
uses (see DESIGN.md and streams' SpendMetrics), counters growing at fixed USD/h so rates are
non-zero. It is NOT the app: it proves the queries parse, evaluate and find the names and labels
they expect; the app team runs eval-queries.sh against the real app as well.

    python3 fake-exporter.py PORT
"""
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

START = time.time()

# (team, provider, model, usd_per_hour, tokens_per_second)
API = [("search", "openai", "gpt-4o-mini", 1.8, 900.0),
       ("search", "anthropic", "claude-3-5-haiku", 0.6, 200.0),
       ("research", "openai", "gpt-4-turbo", 7.5, 120.0)]
# (team, deployment, gpu_model, usd_per_hour, utilization)
GPU = [("ml", "llama-70b-prod", "H100-80GB", 8.0, 0.12),
       ("research", "llama-2-70b", "A100-80GB", 4.0, 0.55)]
# (team, profile, mode, api_model, ratio, savings_usd_per_hour)
BREAK_EVEN = [("search", "llama-3.1-8b", "API", "openai/gpt-4o-mini", 1.42, 1.36),
              ("research", "llama-2-70b", "SELF_HOSTED", "openai/gpt-4-turbo", 0.7, -2.1)]
ALERTS = [("search", "SELF_HOSTING_CHEAPER", "llama-3.1-8b on H100-80GB", 1),
          ("research", "SELF_HOSTING_DEARER", "llama-2-70b on 2x A100-80GB", 0),
          ("ml", "IDLE_CAPACITY", "llama-70b-prod", 1),
          ("search", "BUDGET", "day", 0)]
BUDGETS = [("search", "day", 0.62), ("search", "month", 0.31), ("ml", "day", 0.85)]


def labels(**kv):
    return "{" + ",".join(f'{k}="{v}"' for k, v in kv.items()) + "}"


def render():
    hours = (time.time() - START) / 3600 + 0.01
    seconds = hours * 3600
    out = []

    def family(name, kind, rows):
        base = name[:-6] if kind == "counter" and name.endswith("_total") else name
        out.append(f"# TYPE {base} {kind}")
        out.extend(f"{name}{lbl} {value!r}" for lbl, value in rows)

    family("llm_api_cost_usd_total", "counter",
           [(labels(team=t, provider=p, model=m), usd * hours) for t, p, m, usd, _ in API])
    tok = []
    for t, p, m, _, tps in API + [("ml", "self-hosted", "llama-3.1-70b", 0, 300.0)]:
        for typ, share in (("input", 0.7), ("cached", 0.3), ("cache_write", 0.05), ("output", 0.3)):
            tok.append((labels(team=t, provider=p, model=m, type=typ), float(int(tps * share * seconds))))
    family("llm_tokens_total", "counter", tok)
    family("gpu_cost_usd_total", "counter",
           [(labels(team=t, deployment=d, gpu_model=g), usd * hours) for t, d, g, usd, _ in GPU])
    family("gpu_idle_cost_usd_total", "counter",
           [(labels(team=t, deployment=d, gpu_model=g), usd * (1 - u) * hours) for t, d, g, usd, u in GPU])
    family("gpu_utilization_ratio", "gauge",
           [(labels(team=t, deployment=d, gpu_model=g), u) for t, d, g, _, u in GPU])
    family("gpu_idle_gpus", "gauge", [(labels(team="ml"), 7.0), (labels(team="research"), 0.9)])
    family("llm_repeat_share", "gauge", [(labels(team="search"), 0.42)])
    family("llm_cacheable_cost_usd_total", "counter", [(labels(team="search"), 0.5 * hours)])
    family("llm_attributed_cost_usd_total", "counter",
           [(labels(team="search", key="customer", value=c), usd * hours) for c, usd in (("acme", 1.2), ("globex", 0.4))])
    family("llm_selfhost_capacity_tokens_per_second", "gauge",
           [(labels(team="search", profile="llama-3.1-70b-h100x4", gpu_model="H100-80GB", mode="API", source=src), v)
            for src, v in (("declared", 2400.0), ("measured", 1850.0))])
    family("llm_selfhost_capacity_measured", "gauge",
           [(labels(team="search", profile="llama-3.1-70b-h100x4", gpu_model="H100-80GB", mode="API"), 1.0)])
    family("llm_selfhost_vs_api_ratio", "gauge",
           [(labels(team=t, profile=p, mode=m, api_model=a), r) for t, p, m, a, r, _ in BREAK_EVEN])
    family("llm_switch_savings_usd_per_hour", "gauge",
           [(labels(team=t, profile=p, mode=m), s) for t, p, m, _, _, s in BREAK_EVEN])
    family("spend_alert_active", "gauge",
           [(labels(team=t, type=ty, subject=s), float(v)) for t, ty, s, v in ALERTS])
    family("spend_budget_used_ratio", "gauge", [(labels(team=t, period=p), r) for t, p, r in BUDGETS])
    family("spend_events_rejected_total", "counter",
           [(labels(reason="unpriced"), float(int(seconds * 0.2))), (labels(reason="undecodable"), 3.0)])
    family("kafka_stream_thread_process_rate", "gauge",
           [(labels(thread_id=f"spend-monitor-StreamThread-{i}", client_id="spend-monitor"), 1500.0) for i in (1, 2)])
    family("kafka_consumer_fetch_manager_records_lag_max", "gauge",
           [(labels(client_id="spend-monitor-StreamThread-1-consumer"), 120.0),
            (labels(client_id="spend-monitor-StreamThread-1-restore-consumer"), 50000.0)])
    family("jvm_memory_used_bytes", "gauge",
           [(labels(area="heap", id="G1 Eden Space"), 3.1e7), (labels(area="heap", id="G1 Old Gen"), 6.4e7),
            (labels(area="nonheap", id="Metaspace"), 5.0e7)])
    family("process_cpu_usage", "gauge", [("", 0.18)])
    return ("\n".join(out) + "\n").encode()


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path.split("?")[0] != "/metrics":
            self.send_error(404)
            return
        body = render()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
