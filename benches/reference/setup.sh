#!/usr/bin/env bash
# Recreate .venv beside this script with CPU-usable torch from PyPI, then print its version.
# Needs Python >= 3.11 (set PYTHON to choose the interpreter), gcc and readelf.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
python="${PYTHON:-python3}"
venv="$here/.venv"

"$python" -m venv --clear "$venv"
"$venv/bin/python" -m pip install --no-deps -r "$here/requirements.txt"
"$venv/bin/python" "$here/make_cuda_stubs.py"
"$venv/bin/python" - <<'PY'
import torch

x = torch.randn(64, 784, requires_grad=True)
(x @ x.T).sum().backward()
print(
    f"torch {torch.__version__}, cpu capability {torch.backends.cpu.get_cpu_capability()}, "
    f"cuda available: {torch.cuda.is_available()}"
)
PY
