#!/bin/sh
# nvidia-smi of a real 1 x H200 node (driver 580.159.04), recorded 2026-11-29 while a matmul loop
# kept the GPU busy (gpu/h200/nvidia-smi-h200-busy.csv). Answers only the collector's query.
if [ "$1" != "--query-gpu=index,uuid,name,utilization.gpu,memory.used,memory.total,power.draw" ] \
   || [ "$2" != "--format=csv,noheader,nounits" ] || [ $# -ne 2 ]; then
  echo "fake nvidia-smi: unexpected arguments: $*" >&2
  exit 2
fi
cat <<'CSV'
0, GPU-9f85821e-377a-0393-30b8-c6c1d3c380bb, NVIDIA H200, 100, 1011, 143771, 692.13
CSV
