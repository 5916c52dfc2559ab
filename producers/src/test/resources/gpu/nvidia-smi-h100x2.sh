#!/bin/sh
# nvidia-smi of a 2 x H100 SXM5 node (driver 550.90.07), recorded while GPU 0 served a vLLM replica
# and GPU 1 sat idle. Answers only the collector's query, as the real one does for these flags.
if [ "$1" != "--query-gpu=index,uuid,name,utilization.gpu,memory.used,memory.total,power.draw" ] \
   || [ "$2" != "--format=csv,noheader,nounits" ] || [ $# -ne 2 ]; then
  echo "fake nvidia-smi: unexpected arguments: $*" >&2
  exit 2
fi
cat <<'CSV'
0, GPU-5c8a7d2e-8f1b-4b2e-9a3c-1d2e3f4a5b6c, NVIDIA H100 80GB HBM3, 87, 61440, 81559, 512.34
1, GPU-9e1f0a2b-3c4d-4e5f-8a7b-6c5d4e3f2a1b, NVIDIA H100 80GB HBM3, 0, 4, 81559, 71.20
CSV
