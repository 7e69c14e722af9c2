#!/usr/bin/env bash
# The fleet benchmark: one plan over N generated repositories (benches/fleet_gen.py: bare git
# repositories served by file:// URLs, each a tiny Python package with an awaited synchronous call
# and a pytest suite), three ways:
#   sequential  `git clone` + `remedy run PLAN --root CLONE` for each repository, one after another
#   fleet -j 1  `remedy fleet run -j 1`: the same work, one at a time, through the fleet layer
#   fleet -j J  `remedy fleet run -j J` (J = the number of CPUs)
# It prints each wall time and CPU time (of every process started), the speed-up of the fleet
# over the sequential loop, and the fleet layer's cost per repository ((fleet -j 1 - sequential) /
# N: the clone's branch, the commit, the state file, the child process and its events), measured by
# benches/fleet_speed.py.
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
python3 benches/fleet_speed.py "$remedy" "$work" "$n" "$jobs"
"$remedy" fleet report --workspace "$work/wsj" | sed -n 5,7p
