#!/usr/bin/env bash
# PacGAN's Table 1 on one accelerator, as one prepared command: GAN, PacGAN2, PacGAN3 and PacGAN4
# (METHODS= to change) on ring and grid, 10 seeds vmapped per piece, sized to a time budget.
#
#   bash experiments/mode_collapse_gpu.sh --prepare      # here, once: the wheels the device image lacks
#   # then, through the device tool (8 minutes of device time: the machine's start, ~6 min of command):
#   run(command="bash experiments/mode_collapse_gpu.sh", carry=[".whl"], timeout_s=420)
#   # on CPU, a tiny protocol to check the command (what tests/test_mode_collapse_gpu.py runs):
#   METHODS=GAN,PacGAN2 STEPS=200 EVAL_EVERY=50 SEEDS=2 BUDGET=300 TINY=1 OUT=/tmp/x bash experiments/mode_collapse_gpu.sh
#
# experiments/mode_collapse.py does the work: a first turn trains every piece PROBE steps and
# measures its steps/s and launch overhead (ring and grid share one compiled program per method);
# every piece then trains, in one launch, to the step that fits BUDGET seconds in all (a multiple
# of EVAL_EVERY, at most the paper's 400,000 steps), and the table says the step each piece reached. What comes back in $OUT (5 files; the
# device tool returns at most 8): the table, the curves (PNG and JSON), the log, and metrics.tgz
# with each piece's metrics.jsonl (the checkpoints are too large to come back: a later lease
# starts the pieces again unless their workdirs are carried).
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ "${1:-}" == "--prepare" ]]; then
  # ml-collections and tensorboardX are not in the device image (KINDS.md); both are pure Python.
  python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
    --platform manylinux2014_x86_64 -d .whl ml-collections==1.1.0 tensorboardX==2.6.5
  exclude="$(git rev-parse --git-path info/exclude)"
  mkdir -p "$(dirname "$exclude")"
  grep -qx '/.whl/' "$exclude" 2>/dev/null || echo '/.whl/' >>"$exclude"
  ls .whl
  exit 0
fi

OUT="${OUT:-/tmp/pacgan_gpu}"
METHODS="${METHODS:-GAN,PacGAN2,PacGAN3,PacGAN4}"
DATASETS="${DATASETS:-ring,grid}"
SEEDS="${SEEDS:-10}"
STEPS="${STEPS:-400000}"
EVAL_EVERY="${EVAL_EVERY:-20000}"
PROBE="${PROBE:-2000}"
BUDGET="${BUDGET:-330}"  # seconds for the whole run, compilation and evaluations included
ROOT="${ROOT:-/tmp/pacgan_gpu_runs}"
CACHE_DIR="${CACHE_DIR:-/tmp/jaxgan-xla}"
mkdir -p "$OUT" "$ROOT"

if compgen -G ".whl/*.whl" >/dev/null && ! python3 -c "import ml_collections, tensorboardX" 2>/dev/null; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
  export PYTHONPATH="/tmp/site${PYTHONPATH:+:$PYTHONPATH}"
fi
export PYTHONUNBUFFERED=1 XLA_PYTHON_CLIENT_PREALLOCATE=false TF_CPP_MIN_LOG_LEVEL=2

machine="$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1 || true)"
machine="${machine:-$(python3 -c 'import jax; d = jax.devices()[0]; print(d.platform, d.device_kind)')}"
tiny=()
if [[ -n "${TINY:-}" ]]; then  # a CPU check of this command: networks a few units wide
  tiny=(--set=model.generator.width=16 --set=model.generator.depth=2 --set=model.discriminator.width=8
    --set=model.discriminator.depth=2 --set=data.num_examples=1000 --steps_per_call=25)
fi

python3 experiments/mode_collapse.py --methods="$METHODS" --datasets="$DATASETS" --seeds="$SEEDS" \
  --steps="$STEPS" --eval_every="$EVAL_EVERY" --chunk="$EVAL_EVERY" --probe_steps="$PROBE" --time_budget="$BUDGET" \
  --root="$ROOT" --table="$OUT/pacgan_table.md" --curves="$OUT/pacgan_curves.png" \
  --cache_dir="$CACHE_DIR" --machine="$machine, one run of experiments/mode_collapse_gpu.sh" \
  --report_every_turn "${tiny[@]}" 2>"$ROOT/stderr.txt" | tee "$OUT/log.txt" || status=$?
# The loop's messages and any traceback, without the progress bars (their steps/s are in metrics.jsonl).
tr '\r' '\n' <"$ROOT/stderr.txt" | grep -v -E 'step/s' | tail -n 60 >>"$OUT/log.txt" || true
(cd "$ROOT" && tar czf "$OUT/metrics.tgz" ./*/metrics.jsonl) || true
if [[ "${status:-0}" != 0 ]]; then
  echo "experiments/mode_collapse.py stopped with status $status (the end of its output is in $OUT/log.txt)" >&2
  exit "$status"
fi
echo "wrote $OUT: pacgan_table.md, pacgan_curves.png, pacgan_curves.json, log.txt, metrics.tgz"
