#!/usr/bin/env bash
# On a machine with a CUDA GPU, in one go (about 3 minutes, then the paper budget):
#   1. the CUDA tests;
#   2. ZSSR with 1, 8 and 32 images at once, and DIP with 1 and 4 (seconds per image
#      and per iteration), and fp32 against bf16 on one Set5 image each;
#   3. the missing `paper` records, job after job, for PAPER_MINUTES minutes
#      (default 8): scripts/paper_runs.py (resumable; commit book/results after).
# Usage: bash scripts/gpu_check.sh [python]   (default: .venv/bin/python, else python)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${1:-$( [ -x .venv/bin/python ] && echo .venv/bin/python || echo python )}
mkdir -p "${OUT:-_build/gpu}"
out=${OUT:-_build/gpu}
$PY -c "import torch; assert torch.cuda.is_available(), 'no CUDA device'; print(torch.cuda.get_device_name())"
$PY -m pytest -q -p no:cacheprovider tests/test_resize.py tests/test_degrade.py -k cuda 2>&1 | tee "$out/cuda_tests.txt"
$PY benchmarks/zssr.py --device cuda --images 1 8 32 --iters 30 2>&1 | tee "$out/zssr.txt"
$PY benchmarks/dip.py --device cuda --size 256 --images 1 4 --steps 10 2>&1 | tee "$out/dip.txt"
$PY benchmarks/precision.py --device cuda --zssr-images bird --zssr-scales 2 --dip-images butterfly --dip-steps 200 \
    --json "$out/precision.json" 2>&1 | tee "$out/precision.txt"
$PY scripts/paper_runs.py --device cuda --budget-minutes "${PAPER_MINUTES:-8}" 2>&1 | tee "$out/paper_runs.txt"
