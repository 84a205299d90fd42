#!/usr/bin/env bash
# Distributed training over torchrun (one process per GPU; on a machine without CUDA, CPU processes over gloo).
#   bash tools/dist_train.sh CONFIG GPUS [tools/train.py arguments...]
# Several nodes: NNODES, NODE_RANK, MASTER_ADDR, PORT (defaults 1, 0, 127.0.0.1, 29500).
set -euo pipefail
if [[ $# -lt 2 ]]; then
    echo "usage: bash tools/dist_train.sh CONFIG GPUS [train.py arguments...]" >&2
    exit 2
fi
CONFIG=$1
GPUS=$2
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-127.0.0.1}
TOOLS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# the environment of tools/setup.sh unless another virtual environment is active
PY="${VIRTUAL_ENV:-$TOOLS/../.venv}/bin/python"
[[ -x "$PY" ]] || PY=python

PYTHONPATH="$TOOLS/..${PYTHONPATH:+:$PYTHONPATH}" \
"$PY" -m torch.distributed.run \
    --nnodes="$NNODES" \
    --node_rank="$NODE_RANK" \
    --master_addr="$MASTER_ADDR" \
    --nproc_per_node="$GPUS" \
    --master_port="$PORT" \
    "$TOOLS/train.py" \
    "$CONFIG" \
    --launcher pytorch "${@:3}"
