#!/bin/sh
# nvidia-smi where some fields cannot be read: GPU 0's utilization is [N/A] (e.g. in MIG mode),
# GPU 1 does not support memory or power queries. A line of noise comes first, as some drivers print.
cat <<'CSV'
WARNING: infoROM is corrupted at gpu 0000:18:00.0
0, GPU-5c8a7d2e-8f1b-4b2e-9a3c-1d2e3f4a5b6c, NVIDIA H100 80GB HBM3, [N/A], 61440, 81559, [N/A]
1, GPU-9e1f0a2b-3c4d-4e5f-8a7b-6c5d4e3f2a1b, NVIDIA H100 80GB HBM3, 45, [Not Supported], [Not Supported], [N/A]
CSV
