#!/usr/bin/env bash
# Create .venv (if missing) and install the pinned stack + this package into it.
# Idempotent: each stage is skipped when what it installs already imports.
# mmcv 2.1.0 has only a source release: it is compiled with its ops (~8 min on
# 2 cores, once; pip caches the wheel so later installs are instant).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
VENV=.venv
PY=$PWD/$VENV/bin/python

if [ ! -x "$PY" ]; then
  echo "[install] creating $VENV with $($PYTHON --version)"
  "$PYTHON" -m venv "$VENV"
fi
pip_install() { "$PY" -m pip install --disable-pip-version-check -q "$@"; }
has() { "$PY" - "$@" <<'PYEOF' 2>/dev/null
import sys
from importlib.metadata import version
for spec in sys.argv[1:]:
    name, want = spec.split('==')
    if version(name).split('+')[0] != want:
        sys.exit(1)
PYEOF
}

if ! "$PY" -c 'import setuptools, sys; v=tuple(map(int, setuptools.__version__.split(".")[:2])); sys.exit(not (77,) <= v < (82,))' 2>/dev/null; then
  echo "[install] setuptools>=77,<82 (mmcv's setup and mmengine's mmseg:: lookup import pkg_resources)"
  pip_install "setuptools>=77,<82" wheel
fi
if ! has torch==2.13.0; then
  echo "[install] torch==2.13.0 (CPU build)"
  pip_install torch==2.13.0 "numpy<2.3"
fi
if ! has mmcv==2.1.0 || ! "$PY" -c 'import mmcv.ops' 2>/dev/null; then
  echo "[install] mmcv==2.1.0 from source with ops (first time ~8 min on 2 cores)"
  pip_install --no-build-isolation mmcv==2.1.0
fi
if ! "$PY" -c 'import mmseg, ftfy, regex, cv2, pycocotools, scipy, pytest, matplotlib, skimage' 2>/dev/null \
   || ! has mmengine==0.10.7 mmsegmentation==1.2.2 scikit-image==0.26.0; then
  echo "[install] requirements.txt requirements-demo.txt"
  pip_install -r requirements.txt -r requirements-demo.txt
fi
if ! (cd / && "$PY" -c 'import mmseg_pseudoseg, sys; sys.exit(not mmseg_pseudoseg.__file__.startswith(sys.argv[1]))' "$OLDPWD") 2>/dev/null; then
  echo "[install] mmseg_pseudoseg (editable)"
  pip_install --no-deps --no-build-isolation -e .
fi
"$PY" -c 'import mmseg_pseudoseg, mmcv, mmseg, torch; print("[install] ok: torch", torch.__version__, "mmcv", mmcv.__version__, "mmseg", mmseg.__version__)'
