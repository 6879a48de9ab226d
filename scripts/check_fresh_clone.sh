#!/usr/bin/env bash
# The README's commands as a newcomer runs them: clone this repository's HEAD
# into a new temporary folder and run `make install`, `make test` and
# `make demo` there, with a private pip cache, printing each stage's wall time.
#
#   bash scripts/check_fresh_clone.sh [--cache DIR] [--no-demo] [--no-test] [--keep]
#
#   --cache DIR  pip cache to use (default: a new, empty one: "from nothing");
#                run twice with the same DIR for the warm-cache figures
#   --no-demo    stop after `make test`
#   --no-test    stop after `make install`
#   --keep       keep the clone (default: removed at the end)
# Exit status: that of the first stage that failed, else 0.
set -uo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
cache="" demo=1 test=1 keep=0
while [ $# -gt 0 ]; do
  case $1 in
    --cache) cache=$2; shift 2 ;;
    --no-demo) demo=0; shift ;;
    --no-test) test=0; demo=0; shift ;;
    --keep) keep=1; shift ;;
    *) echo "unknown argument: $1 (see the header of $0)" >&2; exit 2 ;;
  esac
done
work=$(mktemp -d /tmp/fresh_clone.XXXXXX)
if [ -z "$cache" ]; then cache=$work/pip-cache; fi
mkdir -p "$cache"
export PIP_CACHE_DIR=$cache
log=$work/log
declare -a rows=()
status=0

run_stage() {  # name, command...
  local name=$1; shift
  local t0=$SECONDS
  echo "[fresh] $name: $* (log: $log/$name.log)"
  ( cd "$work/repo" && "$@" ) >"$log/$name.log" 2>&1
  local rc=$? dt=$((SECONDS - t0))
  rows+=("$(printf '%-12s %3d min %02d s   exit %d' "$name" $((dt / 60)) $((dt % 60)) $rc)")
  tail -n 3 "$log/$name.log" | sed 's/^/    /'
  if [ $rc -ne 0 ] && [ $status -eq 0 ]; then status=$rc; fi
  return $rc
}

mkdir -p "$log"
echo "[fresh] $(date -u +%FT%TZ) $(nproc) cores, pip cache $cache ($(du -sh "$cache" | cut -f1))"
git clone -q "$src" "$work/repo" || exit 1
echo "[fresh] cloned $(git -C "$work/repo" rev-parse --short HEAD) into $work/repo"
unset VIRTUAL_ENV
if run_stage install make install && [ $test -eq 1 ] && run_stage test make test \
   && [ $demo -eq 1 ]; then
  run_stage demo make demo
fi
grep -h '^\[install\]' "$log/install.log" 2>/dev/null | sed 's/^/    /'
echo "[fresh] stage        wall time"
printf '[fresh] %s\n' "${rows[@]}"
if [ $keep -eq 0 ]; then rm -rf "$work/repo"; echo "[fresh] logs kept in $log"; fi
exit $status
