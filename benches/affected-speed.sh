#!/usr/bin/env bash
# Wall time of a plan's pytest phases with and without `select: affected`, on the project that
# tests/fixtures/affected/gen_project.py writes (packages of modules linked by absolute and
# relative imports, a package re-exporting through `__init__.py`, tests in several folders,
# conftest files, a plugin loader with a run-time import), and of a second run after
# `rollback --all`, whose baseline comes from the cache.
#
# Usage: benches/affected-speed.sh [--packages N] [--modules M] [--every K]
# Needs a release build (cargo build --release) and a python3 with pytest on the PATH.
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
remedy="$here/target/release/remedy"
gen="$here/tests/fixtures/affected/gen_project.py"
[ -x "$remedy" ] || { echo "build first: cargo build --release" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

plan() { # $1: the suites' extra keys
  cat <<YAML
id: factor
files: { include: ["**/*.py"] }
phases:
  - { name: backup, kind: backup }
  - name: baseline
    kind: pytest
    allow_failures: true
    suites:
      - { name: unit, args: [tests/unit]$1 }
      - { name: integration, args: [tests/integration]$1 }
      - { name: plugins, args: [tests/plugins]$1 }
      - { name: other, args: [tests/other]$1 }
  - name: raise
    kind: patch
    edits:
      - { name: factor two, regex: 'FACTOR = 1\b', replace: 'FACTOR = 2', files: { include: [proj/target/engine.py] } }
  - name: tests
    kind: pytest
    compare_with: baseline
    allow_failures: true
    suites:
      - { name: unit, args: [tests/unit]$1 }
      - { name: integration, args: [tests/integration]$1 }
      - { name: plugins, args: [tests/plugins]$1 }
      - { name: other, args: [tests/other]$1 }
YAML
}

# Prints the pytest phases' durations and the number of tests each ran, from the checkpoint.
phases() {
  python3 - "$1/.remedy/factor/checkpoint.json" <<'PY'
import json, sys
cp = json.load(open(sys.argv[1]))
out = []
for p in cp["phases"]:
    if p["kind"] != "pytest":
        continue
    o = p["outcome"]
    tests = sum(len(s["tests"]) for s in o["suites"])
    cached = sum(1 for s in o["suites"] if s.get("from_cache"))
    sel = o.get("selection")
    what = f"{len(sel['files'])}/{sel['test_files']} files, graph {sel['graph_ms']} ms" if sel else "whole suite"
    out.append(f"{p['name']}: {p['duration_ms'] / 1000:.2f}s, {tests} tests ({what}; {cached} suites from the cache)")
print("; ".join(out))
PY
}

for mode in whole affected; do
  rm -rf "$work/$mode"
  mkdir -p "$work/$mode"
  python3 "$gen" "$work/$mode/repo" "$@"
  if [ "$mode" = affected ]; then plan ", select: affected"; else plan ""; fi > "$work/$mode/plan.yaml"
  files=$(find "$work/$mode/repo" -name '*.py' | wc -l)
  start=$(date +%s.%N)
  "$remedy" run "$work/$mode/plan.yaml" --root "$work/$mode/repo" --quiet > /dev/null
  end=$(date +%s.%N)
  printf '%-8s %4d .py files, run %.2fs: %s\n' "$mode" "$files" "$(echo "$end - $start" | bc)" "$(phases "$work/$mode/repo")"
  "$remedy" rollback --all --root "$work/$mode/repo" --quiet > /dev/null
  start=$(date +%s.%N)
  "$remedy" run "$work/$mode/plan.yaml" --root "$work/$mode/repo" --quiet > /dev/null
  end=$(date +%s.%N)
  printf '%-8s after rollback --all, run %.2fs: %s\n' "$mode" "$(echo "$end - $start" | bc)" "$(phases "$work/$mode/repo")"
done
