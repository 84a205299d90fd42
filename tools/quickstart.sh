#!/usr/bin/env bash
# Sets up the environment if needed (tools/setup.sh --if-needed), then trains and evaluates the quickstart model
# (configs/quickstart: a small ViT Mask R-CNN on generated shapes, on a CPU) into work_dirs/.
#   bash tools/quickstart.sh                                   # as in README.md
#   bash tools/quickstart.sh --cfg-options randomness.seed=1   # any tools/train.py options pass through
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
bash "$REPO/tools/setup.sh" --if-needed
exec "${VIRTUAL_ENV:-$REPO/.venv}/bin/python" tools/train.py configs/quickstart/mask-rcnn_vit-t-random_fpn_lsj-10e_shapes.py "$@"
