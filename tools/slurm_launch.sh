#!/usr/bin/env bash
# Usage: [GPUS=8] [GPUS_PER_NODE=8] [CPUS_PER_TASK=5] [SRUN_ARGS=...] [PYTHON=python] \
#        tools/slurm_launch.sh PARTITION JOB_NAME SCRIPT [SCRIPT args...]
# mmseg's Slurm launcher (of tools/slurm_train.sh and tools/slurm_test.sh): srun
# starts GPUS tasks, GPUS_PER_NODE per node, one per GPU; each runs SCRIPT, which is
# given --launcher slurm, so its process group comes from Slurm's environment
# (mmengine's init_dist: rank SLURM_PROCID, world size SLURM_NTASKS, master the first
# host of SLURM_NODELIST, port MASTER_PORT or 29500). Examples: docs/training.md
# ("Several nodes").
if ! command -v srun > /dev/null; then
    echo "$0: srun not found; run it on a Slurm login node (or use" \
         "tools/dist_train.sh / tools/dist_test.sh with" \
         "NNODES/NODE_RANK/MASTER_ADDR/PORT)" >&2
    exit 127
fi
set -x

PARTITION=$1
JOB_NAME=$2
SCRIPT=$3
GPUS=${GPUS:-8}
GPUS_PER_NODE=${GPUS_PER_NODE:-8}
CPUS_PER_TASK=${CPUS_PER_TASK:-5}
SRUN_ARGS=${SRUN_ARGS:-""}
PYTHON=${PYTHON:-python}

PYTHONPATH="$(dirname "$0")/..":$PYTHONPATH \
srun -p "$PARTITION" \
    --job-name="$JOB_NAME" \
    --gres=gpu:"$GPUS_PER_NODE" \
    --ntasks="$GPUS" \
    --ntasks-per-node="$GPUS_PER_NODE" \
    --cpus-per-task="$CPUS_PER_TASK" \
    --kill-on-bad-exit=1 \
    $SRUN_ARGS \
    "$PYTHON" -u "$SCRIPT" "${@:4}" --launcher slurm
