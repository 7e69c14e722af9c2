#!/usr/bin/env bash
# The patch-speed benchmark: remedy's backup + patch against rg+sed and fastmod on a generated
# corpus (80,000 Python files, about 1 GB). Finds or installs ripgrep and fastmod, builds remedy in
# release mode, then runs benches/patch_speed.py (see its header for the environment it reads).
# Usage: benches/patch-speed.sh            e.g. RUNS=11 benches/patch-speed.sh, FRESH=1 for a new copy per run
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
if ! command -v rg >/dev/null; then
  if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    apt-get install -y ripgrep >/dev/null || cargo install ripgrep
  else
    cargo install ripgrep
  fi
fi
command -v fastmod >/dev/null || cargo install fastmod
command -v python3 >/dev/null || { echo "the benchmark needs python3" >&2; exit 2; }
cargo build --release --quiet
echo "rg: $(rg --version | sed -n 1p); fastmod: $(fastmod --version); remedy: $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
exec python3 benches/patch_speed.py
