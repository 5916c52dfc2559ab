#!/usr/bin/env bash
# Records what a real GPU node prints, for the GPU collector's test fixtures: nvidia-smi answering
# the collector's own query, the collector's --dry-run output against it, and (where vLLM and a
# model are on the node) vLLM's /metrics. Writes everything under $OUT (default ./gpu-capture).
# Run on a GPU node from the repository root after `mvn -DskipTests package`.
set -uo pipefail
OUT="${OUT:-./gpu-capture}"
mkdir -p "$OUT"
QUERY="index,uuid,name,utilization.gpu,memory.used,memory.total,power.draw"
{ date -u +%FT%TZ; uname -a; nvidia-smi --version; } >"$OUT/node.txt" 2>&1
nvidia-smi --query-gpu="$QUERY" --format=csv,noheader,nounits >"$OUT/nvidia-smi-query.csv" 2>"$OUT/nvidia-smi-query.err"
echo "exit=$?" >>"$OUT/nvidia-smi-query.err"
nvidia-smi >"$OUT/nvidia-smi.txt" 2>&1
if command -v java >/dev/null && { [[ -n "${SPEND_CP:-}" ]] || [[ -f cli/target/spend-monitor.jar ]]; }; then
  java -cp "${SPEND_CP:-cli/target/spend-monitor.jar}" io.spendmonitor.cli.SpendMonitorCli gpu-collector --once --dry-run --team ml-platform \
      --deployment vllm-small --model qwen2.5-0.5b >"$OUT/collector-dry-run.jsonl" 2>"$OUT/collector-dry-run.err"
  echo "exit=$?" >>"$OUT/collector-dry-run.err"
else
  echo "no java or no cli jar" >"$OUT/collector-dry-run.err"
fi
{ command -v python3 && python3 -c 'import vllm, sys; print("vllm", vllm.__version__)'; pip list 2>/dev/null | grep -i -E 'vllm|torch|transformers'; ls ~/.cache/huggingface/hub 2>/dev/null; ls /models /data 2>/dev/null; } >"$OUT/vllm-probe.txt" 2>&1
MODEL_DIR="${VLLM_MODEL:-$(ls -d ~/.cache/huggingface/hub/models--* 2>/dev/null | head -1)}"
if python3 -c 'import vllm' 2>/dev/null && [[ -n "$MODEL_DIR" ]]; then
  MODEL="$(basename "$MODEL_DIR" | sed 's/^models--//; s/--/\//g')"
  HF_HUB_OFFLINE=1 timeout 300 python3 -m vllm.entrypoints.openai.api_server --model "$MODEL" --port 18000 \
      --gpu-memory-utilization 0.3 >"$OUT/vllm-server.log" 2>&1 &
  for i in $(seq 1 120); do curl -sf localhost:18000/health >/dev/null && break; sleep 2; done
  curl -s localhost:18000/v1/completions -H 'content-type: application/json' \
      -d "{\"model\":\"$MODEL\",\"prompt\":\"Hello\",\"max_tokens\":16}" >"$OUT/vllm-completion.json"
  curl -s localhost:18000/metrics >"$OUT/vllm-metrics.txt"
  nvidia-smi --query-gpu="$QUERY" --format=csv,noheader,nounits >"$OUT/nvidia-smi-query-serving.csv" 2>&1
  kill %1 2>/dev/null
fi
ls -la "$OUT"
