#!/usr/bin/env python3
"""Times remedy against rg+sed on the real-code corpus (benches/real_corpus.py).

Run through benches/real-speed.sh, which finds or installs ripgrep and builds remedy. The corpus
is built once and cached (BENCH_DIR, default $TMPDIR/remedy-real-bench); one copy is made, and
before every run the planted files are copied back from the corpus and remedy's state folder is
removed, then `sync`, and every file of the copy is read once (page_cache.py says why), as in
patch_speed.py. Contenders alternate round after round and the medians and ratios are printed.
Each pair compares a remedy plan with the rg+sed pipeline doing the same textual work:

- `structural` (benches/plans/real-structural.yaml, backup + one structural edit) and `symbol`
  (real-symbol.yaml, the same edit with `symbol:`) against `rg+sed` (one substitution);
- `plan` (real-plan.yaml: preflight checks, backup, two symbol-aware edits, postflight check,
  report) against `rg+sed 2` (two substitutions).

In the first round every contender's result is checked against the manifest, byte for byte: rg+sed
and the structural edit remove every `await get_websocket_manager(` (the decoys' too), the
symbol-aware edits leave the decoys, which await a local coroutine of the same name. A mismatch
fails the benchmark. The per-phase durations of the plan are printed from `remedy status --json`.

Environment: REMEDY (the binary), RUNS (rounds, default 5), BENCH_DIR, ONLY (comma-separated
contender names).
"""

import json
import os
import shutil
import statistics
import subprocess
import sys
import time

from page_cache import warm

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS_VERSION = "v2"
P1 = r"await\s+get_websocket_manager\("
S1 = r"s/await[[:space:]]+(get_websocket_manager\()/\1/g"
P2 = r"get_websocket_manager_legacy\("
S2 = r"s/get_websocket_manager_legacy\(/get_websocket_manager(/g"

# Contender: (command builder, manifest version it must produce, the contender it is compared with).
def contenders(remedy):
    plan = lambda name: lambda root: [remedy, "run", os.path.join(HERE, "plans", name), "--root", root, "--quiet"]
    return {
        "rg+sed": (lambda root: ["bash", "-c", f"cd {root} && rg -l -0 -t py '{P1}' . | xargs -0 -r sed -i -E '{S1}'"],
                   "await_all", None),
        "rg+sed 2": (lambda root: ["bash", "-c", f"cd {root} && rg -l -0 -t py -e '{P1}' -e '{P2}' . | "
                                                 f"xargs -0 -r sed -i -E -e '{S1}' -e '{S2}'"],
                     "plan_regex", None),
        "structural": (plan("real-structural.yaml"), "await_all", "rg+sed"),
        "symbol": (plan("real-symbol.yaml"), "await_symbol", "rg+sed"),
        "plan": (plan("real-plan.yaml"), "plan_symbol", "rg+sed 2"),
    }


def check(name, version, copy, entries):
    wrong = []
    for e in entries:
        with open(os.path.join(copy, e["path"]), encoding="utf-8", newline="") as f:
            if f.read() != e[version]:
                wrong.append(e["path"])
    if wrong:
        print(f"    MISMATCH: {name}: {len(wrong)} of {len(entries)} planted files differ from `{version}` "
              f"({', '.join(wrong[:3])})")
        return False
    print(f"    ok: {name}: every planted file is `{version}`, byte for byte")
    return True


def phase_durations(remedy, root):
    out = subprocess.run([remedy, "status", "--root", root, "--json"], capture_output=True, text=True)
    try:
        data = json.loads(out.stdout)
    except json.JSONDecodeError:
        return {}
    runs = data if isinstance(data, list) else data.get("runs", [data])
    found = {}
    for run in runs:
        for p in run.get("phases", []):
            if p.get("duration_ms") is not None:
                found[p["name"]] = p["duration_ms"] / 1000
    return found


def main():
    remedy = os.environ.get("REMEDY", os.path.join(HERE, "..", "target", "release", "remedy"))
    runs = int(os.environ.get("RUNS", 5))
    base = os.environ.get("BENCH_DIR") or os.path.join(os.environ.get("TMPDIR", "/tmp"), "remedy-real-bench")
    corpus = os.path.join(base, f"corpus-{CORPUS_VERSION}")
    stamp = os.path.join(corpus, ".corpus.json")
    if not os.path.exists(stamp):
        print(f"building the corpus in {corpus} (downloads the source distributions once) ...", flush=True)
        gen = subprocess.run([sys.executable, os.path.join(HERE, "real_corpus.py"), corpus,
                              "--sdists", os.path.join(base, "sdists")],
                             check=True, stdout=subprocess.PIPE, text=True)
        with open(stamp, "w") as f:
            f.write(gen.stdout.strip().splitlines()[-1])
    with open(stamp) as f:
        info = json.load(f)
    with open(os.path.join(corpus, ".corpus-sites.json")) as f:
        entries = json.load(f)["files"]
    print(f"corpus: {info['files']} .py files, {info['bytes'] / 1e6:.0f} MB from {', '.join(info['sdists'])}; "
          f"{info['site_files']} files with {info['sites']} awaited sites, {info['async_sites']} awaited "
          f"coroutines, {info['legacy_sites']} legacy calls; {info['decoy_files']} decoy files", flush=True)
    all_contenders = contenders(remedy)
    only = os.environ.get("ONLY")
    if only:
        wanted = {w.strip() for w in only.split(",")}
        all_contenders = {k: v for k, v in all_contenders.items()
                          if k in wanted or any(v[2] == k for n, v in all_contenders.items() if n in wanted)}
    copy = os.path.join(base, f"copy-{os.getpid()}")
    shutil.rmtree(copy, ignore_errors=True)
    subprocess.run(["cp", "-a", corpus, copy], check=True)
    times = {name: [] for name in all_contenders}
    phases = {}
    failed = []
    for r in range(runs):
        for name, (argv, version, _) in all_contenders.items():
            for e in entries:
                shutil.copy2(os.path.join(corpus, e["path"]), os.path.join(copy, e["path"]))
            shutil.rmtree(os.path.join(copy, ".remedy"), ignore_errors=True)
            subprocess.run(["sync"], check=True)
            warm(copy)
            start = time.perf_counter()
            proc = subprocess.run(argv(copy), stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            elapsed = time.perf_counter() - start
            if proc.returncode != 0:
                print(f"{name} failed (exit {proc.returncode}):\n{proc.stdout.decode(errors='replace')}")
                sys.exit(1)
            times[name].append(elapsed)
            if name == "plan":
                for phase, s in phase_durations(remedy, copy).items():
                    phases.setdefault(phase, []).append(s)
            print(f"  round {r + 1}/{runs}  {name:<12} {elapsed:7.3f} s", flush=True)
            if r == 0 and not check(name, version, copy, entries):
                failed.append(name)
    shutil.rmtree(copy, ignore_errors=True)
    print(f"\nmedians over {runs} rounds:")
    for name, (_, _, against) in all_contenders.items():
        m = statistics.median(times[name])
        ratio = f"{m / statistics.median(times[against]):.2f}x {against}" if against else ""
        print(f"  {name:<12} {m:7.3f} s  {ratio}   rounds: {' '.join(f'{t:.2f}' for t in times[name])}")
    if phases:
        print("  plan phases (median s): " + ", ".join(f"{p} {statistics.median(v):.2f}" for p, v in phases.items()))
    if failed:
        print(f"\nFAILED: wrong edits from {', '.join(failed)}; their times do not count.")
        sys.exit(1)


if __name__ == "__main__":
    main()
