#!/usr/bin/env bash
# Benchmark of the pytest phase's concurrency: two suites whose single test sleeps 3 s, run by one
# plan twice, with `jobs: 2` and with `jobs: 1`. Prints each phase's wall time (from the
# checkpoint) and their ratio; run concurrently, the two suites should take about 3 s, not 6 s.
# When python3 has pytest-xdist, a third and fourth phase run one suite of two such tests with and
# without `workers: 2`.
#
# Usage: benches/pytest-concurrency.sh   (needs python3 with pytest; builds remedy in release mode)
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --release --quiet
remedy="$PWD/target/release/remedy"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
repo="$work/repo"
mkdir -p "$repo/tests/a" "$repo/tests/b" "$repo/tests/x"
touch "$repo/conftest.py"
printf 'import time\n\n\ndef test_sleeps():\n    time.sleep(3)\n' > "$repo/tests/a/test_sleep_a.py"
printf 'import time\n\n\ndef test_sleeps():\n    time.sleep(3)\n' > "$repo/tests/b/test_sleep_b.py"
printf 'import time\n\n\ndef test_one():\n    time.sleep(3)\n\n\ndef test_two():\n    time.sleep(3)\n' \
  > "$repo/tests/x/test_sleep_x.py"

suites='
    suites:
      - { name: a, args: [tests/a] }
      - { name: b, args: [tests/b] }'
{
  cat <<EOF
id: bench
phases:
  - name: jobs-2
    kind: pytest
    jobs: 2$suites
  - name: jobs-1
    kind: pytest
    jobs: 1$suites
EOF
  if python3 -c 'import xdist' 2>/dev/null; then
    cat <<'EOF'
  - name: one-process
    kind: pytest
    suites: [{ name: x, args: [tests/x] }]
  - name: xdist-2
    kind: pytest
    workers: 2
    suites: [{ name: x, args: [tests/x] }]
EOF
  fi
} > "$work/plan.yaml"

"$remedy" run "$work/plan.yaml" --root "$repo" --quiet

python3 - "$repo/.remedy/bench/checkpoint.json" <<'EOF'
import json, sys
records = json.load(open(sys.argv[1]))["phases"]
phases = {p["name"]: p["duration_ms"] / 1000 for p in records}
for p in records:
    suites = ", ".join(f"{s['name']} {s['duration_ms'] / 1000:.2f} s" for s in p["outcome"]["suites"])
    print(f"{p['name']:12} phase {p['duration_ms'] / 1000:5.2f} s (suites: {suites})")
print("two suites of one 3 s test each:")
print(f"  jobs: 2   {phases['jobs-2']:5.2f} s")
print(f"  jobs: 1   {phases['jobs-1']:5.2f} s")
print(f"  ratio (jobs 1 / jobs 2): {phases['jobs-1'] / phases['jobs-2']:.2f}")
if "xdist-2" in phases:
    print("one suite of two 3 s tests:")
    print(f"  one process   {phases['one-process']:5.2f} s")
    print(f"  workers: 2    {phases['xdist-2']:5.2f} s")
    print(f"  ratio (one process / workers 2): {phases['one-process'] / phases['xdist-2']:.2f}")
else:
    print("(python3 has no pytest-xdist: the workers comparison was skipped)")
EOF
