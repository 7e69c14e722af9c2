#!/usr/bin/env python3
"""Times remedy's patch phase against `rg -l | xargs sed -i -E` and `fastmod --accept-all`.

Run through benches/patch-speed.sh, which finds or installs the tools and builds remedy. Every
contender runs as a whole process on its own fresh copy of the corpus; the copy is flushed to disk
(`sync`) before the clock starts, so no contender pays for writing back another one's copy. The
contenders alternate (A B C ... A B C ...) and the medians are printed, with the ratio to rg+sed and
remedy's peak resident memory (GNU time's maximum resident set size of the whole process).

Environment: REMEDY (the binary), RUNS (rounds, default 3), FILES, MBYTES, SITES, SEED (the corpus),
BENCH_DIR (where the corpus and the copies live; default a folder under $TMPDIR), STRUCTURAL_PLAN
(the plan used for the structural edit; default benches/plans/structural.yaml), ONLY (comma-separated
contender names to run).
"""

import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PATTERN = r"await\s+(get_websocket_manager\()"
RG_PATTERN = r"await\s+get_websocket_manager\("
SED_EXPR = r"s/await[[:space:]]+(get_websocket_manager\()/\1/g"


def env_int(name, default):
    return int(os.environ.get(name, default))


def run_timed(argv, cwd=None):
    """Runs a command under /usr/bin/time; returns (seconds, peak RSS in KiB, exit code, output).

    The peak comes from GNU time rather than from wait4 here, because a child forked from this
    Python process starts with Python's own footprint and wait4 would report that."""
    rss_file = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"remedy-bench-rss-{os.getpid()}")
    start = time.perf_counter()
    proc = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", rss_file] + argv, cwd=cwd,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    elapsed = time.perf_counter() - start
    with open(rss_file) as f:
        peak = int(f.read().strip().splitlines()[-1])
    os.unlink(rss_file)
    return elapsed, peak, proc.returncode, proc.stdout.decode(errors="replace")


def changed_files(copy, corpus):
    """Files whose content differs from the corpus (ignoring remedy's state folder), with a digest
    of their new content, so that two contenders can be compared byte for byte."""
    out = subprocess.run(["diff", "-rq", "--exclude=.remedy", corpus, copy], capture_output=True, text=True)
    changed = {}
    for line in out.stdout.splitlines():
        rel = line.split(" and ")[0].removeprefix("Files " + corpus + "/")
        with open(os.path.join(copy, rel), "rb") as f:
            changed[rel] = hashlib.blake2b(f.read()).hexdigest()
    return changed


def main():
    remedy = os.environ.get("REMEDY", os.path.join(HERE, "..", "target", "release", "remedy"))
    runs = env_int("RUNS", 3)
    files, mbytes, sites, seed = env_int("FILES", 80_000), env_int("MBYTES", 1024), env_int("SITES", 300), env_int("SEED", 1184)
    base = os.environ.get("BENCH_DIR") or os.path.join(os.environ.get("TMPDIR", "/tmp"), "remedy-patch-bench")
    corpus = os.path.join(base, f"corpus-{files}-{mbytes}-{sites}-{seed}")
    stamp = os.path.join(corpus, ".corpus.json")

    if not os.path.exists(stamp):
        shutil.rmtree(corpus, ignore_errors=True)
        print(f"generating the corpus in {corpus} ...", flush=True)
        gen = subprocess.run(
            [sys.executable, os.path.join(HERE, "gen_corpus.py"), corpus, "--files", str(files),
             "--mbytes", str(mbytes), "--sites", str(sites), "--seed", str(seed)],
            check=True, capture_output=True, text=True)
        with open(stamp, "w") as f:
            f.write(gen.stdout)
    with open(stamp) as f:
        info = json.loads(f.read())
    # The stamp is not Python: every contender skips it (rg -t py, fastmod -e py, plans' **/*.py).
    print(f"corpus: {info['files']} .py files, {info['bytes'] / 1e6:.0f} MB, {info['site_files']} files with "
          f"{info['sites']} sites, {info['decoy_files']} decoy files, {info['crlf_files']} CRLF, "
          f"{info['latin1_files']} latin-1, {info['binary_files']} binary (seed {info['seed']})", flush=True)

    structural_plan = os.environ.get("STRUCTURAL_PLAN", os.path.join(HERE, "plans", "structural.yaml"))
    contenders = {
        "rg+sed": lambda root: run_timed(
            ["bash", "-c", f"rg -l -0 -t py '{RG_PATTERN}' . | xargs -0 -r sed -i -E '{SED_EXPR}'"],
            cwd=root),
        "fastmod": lambda root: run_timed(
            ["fastmod", "--accept-all", "-e", "py", PATTERN, "${1}", "."], cwd=root),
        "remedy regex": lambda root: run_timed(
            [remedy, "run", os.path.join(HERE, "plans", "regex.yaml"), "--root", root, "--quiet"]),
        "remedy skip strings/comments": lambda root: run_timed(
            [remedy, "run", os.path.join(HERE, "plans", "regex-skip.yaml"), "--root", root, "--quiet"]),
        "remedy structural": lambda root: run_timed(
            [remedy, "run", structural_plan, "--root", root, "--quiet"]),
    }
    check = subprocess.run([remedy, "check", structural_plan], capture_output=True, text=True)
    if check.returncode != 0:
        first = (check.stderr or check.stdout).strip().splitlines()[:2]
        print(f"note: skipping the structural edit: this remedy rejects {structural_plan}:\n  " + "\n  ".join(first))
        del contenders["remedy structural"]
    only = os.environ.get("ONLY")
    if only:
        wanted = {w.strip() for w in only.split(",")}
        contenders = {k: v for k, v in contenders.items() if k in wanted or k == "rg+sed"}

    times = {name: [] for name in contenders}
    rss = {name: [] for name in contenders}
    reference = None
    copy = os.path.join(base, "copy")
    for r in range(runs):
        for name, run in contenders.items():
            shutil.rmtree(copy, ignore_errors=True)
            subprocess.run(["cp", "-a", corpus, copy], check=True)
            subprocess.run(["sync"], check=True)
            elapsed, peak, code, out = run(copy)
            if code != 0:
                print(f"{name} failed (exit {code}):\n{out}")
                sys.exit(1)
            times[name].append(elapsed)
            rss[name].append(peak)
            print(f"  round {r + 1}/{runs}  {name:<30} {elapsed:7.3f} s  peak RSS {peak / 1024:6.1f} MiB", flush=True)
            if r == 0:
                # Check once that the contenders agree: the regex edits change the same files as
                # rg+sed; the code-only edits change a subset of them.
                changed = changed_files(copy, corpus)
                if reference is None:
                    reference = changed
                    print(f"    rg+sed changed {len(changed)} files")
                elif name in ("fastmod", "remedy regex") and changed != reference:
                    differ = sum(1 for k in changed.keys() | reference.keys() if changed.get(k) != reference.get(k))
                    print(f"    warning: {name} changed {len(changed)} files, rg+sed {len(reference)}; {differ} differ")
                elif name in ("fastmod", "remedy regex"):
                    print(f"    {name} changed the same {len(changed)} files, byte for byte")
                else:
                    print(f"    {name} changed {len(changed)} files")
    shutil.rmtree(copy, ignore_errors=True)

    base_median = statistics.median(times["rg+sed"])
    print(f"\nmedians over {runs} runs (corpus {info['files']} files, {info['bytes'] / 1e6:.0f} MB):")
    print(f"  {'contender':<30} {'median':>8}  {'ratio to rg+sed':>15}  {'peak RSS':>9}")
    for name in contenders:
        m = statistics.median(times[name])
        print(f"  {name:<30} {m:7.3f}s  {m / base_median:14.2f}x  {max(rss[name]) / 1024:6.1f} MiB")


if __name__ == "__main__":
    main()
