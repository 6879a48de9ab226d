#!/usr/bin/env bash
# Create .venv (if missing) and install exactly requirements-lock.txt into it,
# then this package (editable). Every pip call is constrained by the lock, so a
# fresh machine gets the versions the demo figures and the tests were made with;
# scripts/check_lock.py fails the install if anything differs.
#
# Stages (order matters): build tools; torch, numpy and opencv-python (mmcv is
# compiled against this torch, and opencv-python present at build time is the
# OpenCV that mmcv's metadata then requires); mmcv 2.1.0 from source (its only
# release for this torch; compiled with ninja on every core, ~19 min on 2 cores;
# pip caches the built wheel, so later installs take seconds); the rest.
# Environment: PYTHON (interpreter for the venv, default python3), MAX_JOBS
# (parallel compile jobs for mmcv, default: all cores).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
VENV=.venv
PY=$PWD/$VENV/bin/python
LOCK=$PWD/requirements-lock.txt

stage() { printf '[install] %s (%s)\n' "$1" "$(date +%T)"; }
pip_install() { "$PY" -m pip install --disable-pip-version-check -q -c "$LOCK" "$@"; }

if [ ! -x "$PY" ]; then
  stage "creating $VENV with $($PYTHON --version)"
  "$PYTHON" -m venv "$VENV"
fi
if "$PY" scripts/check_lock.py >/dev/null 2>&1 && "$PY" -c 'import mmcv.ops' 2>/dev/null; then
  stage "environment already matches the lock"
else
  stage "build tools: setuptools, wheel, ninja"
  pip_install setuptools wheel ninja
  stage "torch (CPU build where available), numpy, opencv-python"
  pip_install torch numpy opencv-python
  if ! "$PY" -c 'import mmcv.ops' 2>/dev/null; then
    stage "mmcv from source with its ops (first time ~19 min on 2 cores; then pip's wheel cache)"
    MAX_JOBS=${MAX_JOBS:-$(nproc)} pip_install --no-build-isolation mmcv
  fi
  stage "requirements.txt requirements-demo.txt"
  pip_install -r requirements.txt -r requirements-demo.txt
fi
if ! (cd / && "$PY" -c 'import mmseg_pseudoseg, sys; sys.exit(not mmseg_pseudoseg.__file__.startswith(sys.argv[1]))' "$OLDPWD") 2>/dev/null; then
  stage "mmseg_pseudoseg (editable)"
  "$PY" -m pip install --disable-pip-version-check -q --no-deps --no-build-isolation -e .
fi
"$PY" scripts/check_lock.py
"$PY" -c 'import mmseg_pseudoseg, mmcv, mmseg, torch; print("[install] ok: torch", torch.__version__, "mmcv", mmcv.__version__, "mmseg", mmseg.__version__)'
