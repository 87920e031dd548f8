#!/usr/bin/env bash
# Runs every benchmark behind docs/benchmarks.md and writes the raw outputs to one folder.
#
#   benches/run_benchmarks.sh [OUT_DIR]
#
# Needs RSRAE_DATA_DIR set to a folder whose mnist/ holds the MNIST training files and, for
# the PyTorch comparisons, benches/reference/.venv (made by benches/reference/setup.sh).
# REPEATS (default 5) sets the rounds of `rsrae bench`. On the two-core machine of
# docs/benchmarks.md its parts took about half an hour in all.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${1:-${CARGO_TARGET_DIR:-$root/target}/benchmarks}"
data_dir="${RSRAE_DATA_DIR:?set RSRAE_DATA_DIR to the folder that holds mnist/}"
repeats="${REPEATS:-5}"
python="$root/benches/reference/.venv/bin/python"
mkdir -p "$out"
cd "$root"

cargo build --release -p rsrae-cli
rsrae="${CARGO_TARGET_DIR:-$root/target}/release/rsrae"

{
    lscpu
    echo
    uptime
    date -u
} > "$out/machine.txt"

reference=()
if [[ -x "$python" ]]; then
    reference=(--reference "$python")
else
    echo "no $python: skipping the PyTorch reference (run benches/reference/setup.sh)" >&2
fi

# Training, scoring and peak memory against PyTorch, 1 and 2 threads, both OpenMP wait
# policies; rounds interleave the two sides.
"$rsrae" bench --data-dir "$data_dir" --workloads train,score,memory --threads 1,2 \
    --repeats "$repeats" "${reference[@]}" --json > "$out/bench.json" 2> "$out/bench.log"

# Epoch time against training-set size.
"$rsrae" bench --data-dir "$data_dir" --workloads scaling --threads 1 --repeats 3 \
    --json > "$out/scaling.json" 2> "$out/scaling.log"

# Kernels: products at the dense layers' shapes, sgemm, AdamW, training steps, conv layers.
MATMUL_NUM_THREADS=1 cargo bench -p rsrae --bench kernels > "$out/kernels.txt" 2>&1

# The same convolution layers in PyTorch.
if [[ -x "$python" ]]; then
    for threads in 1 2; do
        OMP_NUM_THREADS=$threads MKL_NUM_THREADS=$threads OMP_WAIT_POLICY=PASSIVE \
            "$python" benches/conv_layers_torch.py --threads "$threads" \
            > "$out/conv_torch_${threads}.json"
    done
fi

uptime >> "$out/machine.txt"
echo "results in $out" >&2
