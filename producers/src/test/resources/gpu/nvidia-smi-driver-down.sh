#!/bin/sh
# nvidia-smi on a node whose driver is not loaded (after a kernel upgrade, say): message on stdout, exit 9.
echo "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. Make sure that the latest NVIDIA driver is installed and running."
echo ""
exit 9
