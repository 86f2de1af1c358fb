#!/usr/bin/env bash
# The benchmark's GPU column as one prepared device command: jaxgan against PyTorch CUDA eager and
# torch.compile on dcgan_mnist, pacgan_mlp, sngan_cifar10 and many_seeds (WORKLOADS= to change),
# with experiments/benchmark.py's GPU plans (more steps per call, one round), no profiling launches.
#
#   bash experiments/mode_collapse_gpu.sh --prepare      # here, once: the wheels the device image lacks
#   # then, through the device tool, in two calls of about 5 minutes (a call may run 10 at most):
#   run(command="WORKLOADS=dcgan_mnist,pacgan_mlp NAME=benchmark_gpu_a bash experiments/benchmark_gpu.sh", carry=[".whl"], timeout_s=540)
#   run(command="WORKLOADS=sngan_cifar10,many_seeds NAME=benchmark_gpu_b bash experiments/benchmark_gpu.sh", carry=[".whl"], timeout_s=540)
#   # on the CPU, the same command checks itself (benchmark.py then runs its quick plans):
#   WORKLOADS=pacgan_mlp QUICK=1 OUT=/tmp/x bash experiments/benchmark_gpu.sh
#
# What comes back in $OUT: $NAME.md and .json (the table and every launch's numbers, rewritten after
# each workload, so that a call stopped at its limit keeps the finished rows), $NAME_profile.md
# (empty: no profiling launches) and log.txt.
set -euo pipefail
cd "$(dirname "$0")/.."

OUT="${OUT:-/tmp/benchmark_gpu}"
WORKLOADS="${WORKLOADS:-dcgan_mnist,pacgan_mlp,sngan_cifar10,many_seeds}"
NAME="${NAME:-benchmark_gpu}"
mkdir -p "$OUT"

if compgen -G ".whl/*.whl" >/dev/null && ! python3 -c "import ml_collections, tensorboardX" 2>/dev/null; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
  export PYTHONPATH="/tmp/site${PYTHONPATH:+:$PYTHONPATH}"
fi
export PYTHONUNBUFFERED=1 TF_CPP_MIN_LOG_LEVEL=2

{
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null || true
  python3 -c 'import jax, flax, optax; print("jax", jax.__version__, "flax", flax.__version__, "optax", optax.__version__, jax.devices())'
  python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.cuda.is_available())' || true
} 2>&1 | tee "$OUT/log.txt"

python3 experiments/benchmark.py --workloads="$WORKLOADS" --no-profile --out="$OUT" --name="$NAME" \
  ${QUICK:+--quick} 2>&1 | tee -a "$OUT/log.txt"
