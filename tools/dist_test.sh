#!/usr/bin/env bash
# Usage: tools/dist_test.sh CONFIG CHECKPOINT GPUS [test.py args...]
# Honours NNODES, NODE_RANK, MASTER_ADDR, PORT like mmseg's script.
TOOLS="$(dirname "$0")"
bash "$TOOLS/dist_launch.sh" "$3" "$TOOLS/test.py" "$1" "$2" --launcher pytorch \
    "${@:4}"
