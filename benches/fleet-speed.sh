#!/usr/bin/env bash
# The fleet benchmark: one plan over N generated repositories (benches/fleet_gen.py: bare git
# repositories served by file:// URLs, each a tiny Python package with an awaited synchronous call
# and a pytest suite), three ways:
#   sequential  `git clone` + `remedy run PLAN --root CLONE` for each repository, one after another
#   fleet -j 1  `remedy fleet run -j 1`: the same work, one at a time, through the fleet layer
#   fleet -j J  `remedy fleet run -j J` (J = the number of CPUs)
# It prints each wall time, the speed-up of the fleet over the sequential loop, and the fleet
# layer's overhead per repository ((fleet -j 1 - sequential) / N: worktree, commit, state file,
# child process and its events).
#
# Usage: benches/fleet-speed.sh            e.g. N=40 benches/fleet-speed.sh
set -euo pipefail
cd "$(dirname "$0")/.."
command -v python3 >/dev/null || { echo "the benchmark needs python3 with pytest" >&2; exit 2; }
python3 -c 'import pytest' || { echo "the benchmark needs python3 with pytest" >&2; exit 2; }
cargo build --release --quiet
remedy="$PWD/target/release/remedy"
n=${N:-20}
jobs=${J:-$(nproc)}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 benches/fleet_gen.py "$work" "$n"
cd "$work"

now() { date +%s.%N; }
elapsed() { python3 -c "print(f'{$2 - $1:.2f}')"; }

t0=$(now)
i=0
while read -r url; do
  git clone -q "$url" "seq/$i"
  git -C "seq/$i" checkout -q -b remedy/fleet-unawait
  "$remedy" -q run plan.yaml --root "seq/$i" >/dev/null 2>&1 || true
  i=$((i + 1))
done < repos.txt
t1=$(now)
"$remedy" -q fleet run plan.yaml --repos repos.txt -j 1 --workspace ws1 || true
t2=$(now)
"$remedy" -q fleet run plan.yaml --repos repos.txt -j "$jobs" --workspace wsj || true
t3=$(now)

seq=$(elapsed "$t0" "$t1")
f1=$(elapsed "$t1" "$t2")
fj=$(elapsed "$t2" "$t3")
echo "repositories: $n; CPUs: $(nproc); remedy $(git -C "$OLDPWD" rev-parse --short HEAD 2>/dev/null || echo '?')"
echo "sequential clone + remedy run:  ${seq} s"
echo "remedy fleet run -j 1:          ${f1} s"
echo "remedy fleet run -j $jobs:          ${fj} s"
python3 - "$seq" "$f1" "$fj" "$n" <<'PY'
import sys
seq, f1, fj, n = map(float, sys.argv[1:])
print(f"speed-up of -j over sequential: {seq / fj:.2f}x")
print(f"fleet overhead per repository:  {(f1 - seq) / n * 1000:.0f} ms ({(f1 - seq) / seq * 100:.1f}% of a repository's sequential time)")
PY
"$remedy" fleet report --workspace wsj | sed -n 5,7p
