#!/usr/bin/env bash
# `make demo`: record the bundled demo with leakscope and show what it found.
# Usage: examples/run_demo.sh BUILD_DIR [SECONDS]
set -euo pipefail
build="${1:-build}"
seconds="${2:-${DEMO_SECONDS:-40}}"
here="$(cd "$(dirname "$0")" && pwd)"
out="$here/out"
mkdir -p "$out"
cap="$out/demo.db"
leakscope="$build/bin/leakscope"
analyze_flag="--analyze"

echo "== leakscope demo: recording a 3-process app for ${seconds}s =="
echo "\$ leakscope run --summary $analyze_flag --mark-regex '^PHASE (\\w+)' -o $cap -- leakscope_demo $seconds"
"$leakscope" run --summary $analyze_flag --mark-regex '^PHASE (\w+)' -o "$cap" -- \
  "$build/examples/leakscope_demo" "$seconds"
echo
echo "capture: $cap"
echo "explore: sqlite3 $cap 'SELECT pid, comm, t_s, rss_anon FROM series LIMIT 5'"
echo "         $leakscope export $cap --format csv > demo.csv"
report="$out/demo.html"
if "$leakscope" report --help >/dev/null 2>&1; then
  echo
  echo "\$ leakscope report $cap -o $report"
  "$leakscope" report "$cap" -o "$report"
  echo "report: $report  (open it in a browser: one self-contained file, no network needed)"
fi
