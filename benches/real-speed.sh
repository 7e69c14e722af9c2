#!/usr/bin/env bash
# The real-code benchmark: remedy's plans against rg+sed on source distributions of large Python
# projects with planted sites (benches/real_corpus.py builds and caches the corpus). Finds or
# installs ripgrep, builds remedy in release mode, then runs benches/real_speed.py (see its header).
# Usage: benches/real-speed.sh            e.g. RUNS=9 benches/real-speed.sh, ONLY=plan
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
command -v python3 >/dev/null || { echo "the benchmark needs python3" >&2; exit 2; }
cargo build --release --quiet
echo "rg: $(rg --version | sed -n 1p); remedy: $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
exec python3 benches/real_speed.py
