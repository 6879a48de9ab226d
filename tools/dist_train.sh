#!/usr/bin/env bash
# Usage: tools/dist_train.sh CONFIG GPUS [train.py args...]
# Honours NNODES, NODE_RANK, MASTER_ADDR, PORT like mmseg's script. On a CPU-only
# machine GPUS is the number of processes (gloo backend).
TOOLS="$(dirname "$0")"
bash "$TOOLS/dist_launch.sh" "$2" "$TOOLS/train.py" "$1" --launcher pytorch "${@:3}"
