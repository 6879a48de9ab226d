#!/usr/bin/env bash
# Usage: tools/dist_launch.sh GPUS SCRIPT [SCRIPT args...]
# Runs SCRIPT in GPUS processes per node with torch.distributed.run (the launcher of
# tools/dist_train.sh and tools/dist_test.sh). Honours NNODES, NODE_RANK,
# MASTER_ADDR, PORT like mmseg's scripts, and PYTHON (default: python). On a
# CPU-only machine GPUS is the number of processes (gloo backend).
# Several nodes: start it on every node at once with the same NNODES, MASTER_ADDR
# (node 0's address) and PORT, and NODE_RANK 0 .. NNODES-1 (docs/training.md,
# "Several nodes").
GPUS=$1
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-"127.0.0.1"}
PYTHON=${PYTHON:-python}

PYTHONPATH="$(dirname "$0")/..":$PYTHONPATH \
"$PYTHON" -m torch.distributed.run \
    --nnodes="$NNODES" \
    --node_rank="$NODE_RANK" \
    --master_addr="$MASTER_ADDR" \
    --nproc_per_node="$GPUS" \
    --master_port="$PORT" \
    "${@:2}"
