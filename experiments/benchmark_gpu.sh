#!/usr/bin/env bash
# The benchmark's GPU column as one prepared device command: jaxgan against PyTorch CUDA eager and
# torch.compile on dcgan_mnist, pacgan_mlp, sngan_cifar10 and many_seeds (WORKLOADS= to change),
# with experiments/benchmark.py's GPU plans (more steps per call, one round), no profiling launches.
#
#   bash experiments/mode_collapse_gpu.sh --prepare      # here, once: the wheels the device image lacks
#   # then, through the device tool (about 6 minutes of command, the machine's start besides):
#   run(command="bash experiments/benchmark_gpu.sh", carry=[".whl"], timeout_s=480)
#   # on the CPU, the same command checks itself (benchmark.py then runs its quick plans):
#   WORKLOADS=pacgan_mlp QUICK=1 OUT=/tmp/x bash experiments/benchmark_gpu.sh
#
# What comes back in $OUT: benchmark_gpu.md and .json (the table and every launch's numbers),
# benchmark_gpu_profile.md (empty: no profiling launches) and log.txt.
set -euo pipefail
cd "$(dirname "$0")/.."

OUT="${OUT:-/tmp/benchmark_gpu}"
WORKLOADS="${WORKLOADS:-dcgan_mnist,pacgan_mlp,sngan_cifar10,many_seeds}"
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

python3 experiments/benchmark.py --workloads="$WORKLOADS" --no-profile --out="$OUT" --name=benchmark_gpu \
  ${QUICK:+--quick} 2>&1 | tee -a "$OUT/log.txt"
