#!/usr/bin/env python3
"""Times remedy's patch phase against `rg -l | xargs sed -i -E` and `fastmod --accept-all`.

Run through benches/patch-speed.sh, which finds or installs the tools and builds remedy. Every
contender runs as a whole process on a fresh copy of the corpus: one copy is made (`cp -a`), and
before every run the files any contender may change (the manifest's files) are copied back from the
corpus and remedy's state folder is removed, so that each run starts from the corpus's exact bytes.
Restoring a few hundred files instead of copying 80,000 makes a round take seconds, so the default
is 7 rounds; FRESH=1 makes a whole new copy before every run instead. Either way the copy is flushed
to disk (`sync`) before the clock starts, so no contender pays for writing back another one's
files, and then read whole (page_cache.py says why), so every contender starts on a tree in
memory. The contenders alternate (A B C ... A B C ...) and the medians are printed, with the ratio to
rg+sed and remedy's peak resident memory (GNU time's maximum resident set size of the whole
process).

In the first round every contender's result is checked against the corpus manifest
(.corpus-sites.json, written by gen_corpus.py): which files it changed and what it wrote in them.
The regex edits must remove every match, including the chained form
`await get_websocket_manager(ctx).close_all()` and the matches in strings and comments; the edit that
skips strings and comments every match in code; the structural edit only the direct sites, since the
chained form awaits `.close_all()`, not the call. A failed check makes the script exit with 1 after
the medians, so a wrong edit never passes as a fast one.

Environment: REMEDY (the binary), RUNS (rounds, default 7), FRESH (1: a new copy for every run),
FILES, MBYTES, SITES, SEED (the corpus),
BENCH_DIR (where the corpus and the copies live; default a folder under $TMPDIR), STRUCTURAL_PLAN
(the plan used for the structural edit; default benches/plans/structural.yaml), ONLY (comma-separated
contender names to run).
"""

import hashlib
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time

from page_cache import warm

HERE = os.path.dirname(os.path.abspath(__file__))
PATTERN = r"await\s+(get_websocket_manager\()"
RG_PATTERN = r"await\s+get_websocket_manager\("
SED_EXPR = r"s/await[[:space:]]+(get_websocket_manager\()/\1/g"
# Bump the suffix whenever gen_corpus.py writes something else, so a cached corpus is not reused.
CORPUS_VERSION = "v2"
MANIFEST = ".corpus-sites.json"

# The site forms gen_corpus.py writes, read exactly. A direct site assigns or returns the awaited
# call; the chained form is a statement that awaits `.close_all()` on the call's result. Matches in
# strings and comments start neither way, so these two never see them.
ANY_SITE = re.compile(PATTERN.encode())
DIRECT_SITE = re.compile(rb"(?m)^([ \t]*(?:[\w.]+ = |return ))await\s+(get_websocket_manager\()")
CHAINED_SITE = re.compile(rb"(?m)^([ \t]*)await\s+(get_websocket_manager\([^()\r\n]*\)\.close_all\(\))")


def rewrite_all(old):
    return ANY_SITE.subn(rb"\1", old)


def rewrite_code(old):
    new, direct = DIRECT_SITE.subn(rb"\1\2", old)
    new, chained = CHAINED_SITE.subn(rb"\1\2", new)
    return new, direct + chained


def rewrite_direct(old):
    return DIRECT_SITE.subn(rb"\1\2", old)


# For each contender: what it should remove, how to compute the file it should write (the new
# content and the number of removals), and how many removals the manifest expects in a file.
EVERY_MATCH = ("every match, in code, strings and comments", rewrite_all,
               lambda e: e["direct"] + e["chained"] + e["text"])
EXPECTED = {
    "rg+sed": EVERY_MATCH,
    "fastmod": EVERY_MATCH,
    "remedy regex": EVERY_MATCH,
    "remedy skip strings/comments": ("direct and chained sites in code", rewrite_code,
                                     lambda e: e["direct"] + e["chained"]),
    "remedy structural": ("direct sites only", rewrite_direct, lambda e: e["direct"]),
}


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


def digest(data):
    return hashlib.blake2b(data).hexdigest()


def changed_files(copy, corpus):
    """Files whose content differs from the corpus (ignoring remedy's state folder), with a digest
    of their new content, so that two contenders can be compared byte for byte. A file that exists
    on one side only counts as changed, with a marker instead of a digest."""
    out = subprocess.run(["diff", "-rq", "--exclude=.remedy", corpus, copy], capture_output=True, text=True)
    changed = {}
    for line in out.stdout.splitlines():
        if line.startswith("Only in "):
            folder, name = line.removeprefix("Only in ").split(": ", 1)
            side = "corpus" if folder == corpus or folder.startswith(corpus + "/") else "copy"
            root = corpus if side == "corpus" else copy
            changed[os.path.relpath(os.path.join(folder, name), root)] = f"only in the {side}"
            continue
        rel = line.split(" and ")[0].removeprefix("Files " + corpus + "/")
        with open(os.path.join(copy, rel), "rb") as f:
            changed[rel] = digest(f.read())
    return changed


def restore(copy, corpus, paths):
    """Makes the copy the corpus again after a contender changed some of `paths` in it."""
    for rel in paths:
        shutil.copy2(os.path.join(corpus, rel), os.path.join(copy, rel))
    shutil.rmtree(os.path.join(copy, ".remedy"), ignore_errors=True)


def first(paths, n=3):
    paths = sorted(paths)
    return ", ".join(paths[:n]) + (", ..." if len(paths) > n else "")


def check_edit(name, changed, corpus, entries):
    """Checks that the contender changed exactly the files it should, and wrote in each what the
    expected rewrite of the original gives; prints one line and returns whether it passed."""
    what, rewrite, count = EXPECTED[name]
    want = {e["path"]: count(e) for e in entries if count(e)}
    missing = want.keys() - changed.keys()
    extra = changed.keys() - want.keys()
    wrong, miscounted = [], []
    for rel in want.keys() & changed.keys():
        with open(os.path.join(corpus, rel), "rb") as f:
            new, removed = rewrite(f.read())
        if removed != want[rel]:
            miscounted.append(rel)
        elif digest(new) != changed[rel]:
            wrong.append(rel)
    if not (missing or extra or wrong or miscounted):
        print(f"    ok: {name} changed exactly the {len(want)} expected files ({what}), removing only those awaits")
        return True
    problems = []
    if missing:
        problems.append(f"{len(missing)} files left unchanged ({first(missing)})")
    if extra:
        problems.append(f"{len(extra)} files changed that should not be ({first(extra)})")
    if wrong:
        problems.append(f"{len(wrong)} files with other changes than removing those awaits ({first(wrong)})")
    if miscounted:
        problems.append(f"{len(miscounted)} files where the benchmark's own reading disagrees with the "
                        f"manifest, a bug in the benchmark ({first(miscounted)})")
    print(f"    MISMATCH: {name} should change {len(want)} files ({what}), changed {len(changed)}: "
          + "; ".join(problems))
    return False


def main():
    remedy = os.environ.get("REMEDY", os.path.join(HERE, "..", "target", "release", "remedy"))
    runs = env_int("RUNS", 7)
    fresh = env_int("FRESH", 0) == 1
    files, mbytes, sites, seed = env_int("FILES", 80_000), env_int("MBYTES", 1024), env_int("SITES", 300), env_int("SEED", 1184)
    base = os.environ.get("BENCH_DIR") or os.path.join(os.environ.get("TMPDIR", "/tmp"), "remedy-patch-bench")
    corpus = os.path.join(base, f"corpus-{files}-{mbytes}-{sites}-{seed}-{CORPUS_VERSION}")
    stamp = os.path.join(corpus, ".corpus.json")
    manifest_path = os.path.join(corpus, MANIFEST)

    if not (os.path.exists(stamp) and os.path.exists(manifest_path)):
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
    with open(manifest_path) as f:
        entries = json.load(f)["files"]
    # The stamp and the manifest are not Python: every contender skips them (rg -t py, fastmod -e py,
    # plans' **/*.py).
    print(f"corpus: {info['files']} .py files, {info['bytes'] / 1e6:.0f} MB, {info['site_files']} files with "
          f"{info['sites']} sites ({info['direct_sites']} direct, {info['chained_sites']} chained; "
          f"{info['method_sites']} in methods), {info['decoy_files']} decoy files, {info['crlf_files']} CRLF, "
          f"{info['latin1_files']} latin-1, {info['binary_files']} binary (seed {info['seed']})", flush=True)
    regex_files = sum(1 for e in entries if e["direct"] + e["chained"] + e["text"])
    code_files = sum(1 for e in entries if e["direct"] + e["chained"])
    direct_files = sum(1 for e in entries if e["direct"])
    print(f"expected: the regex edits (rg+sed, fastmod, remedy regex) change {regex_files} files, the edit that "
          f"skips strings and comments {code_files}, the structural edit {direct_files}.")
    print(f"  The structural edit leaves the chained form `await get_websocket_manager(ctx).close_all()` "
          f"({info['chained_sites']} sites) alone,\n"
          f"  rightly: Python reads it as `await (get_websocket_manager(ctx).close_all())`, which awaits "
          f".close_all(), not the call.\n"
          f"  The regex edits remove that await too and leave the .close_all() coroutine unawaited; "
          f"{code_files - direct_files} files hold that form and no direct site.", flush=True)

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
        reason = (check.stderr or check.stdout).strip().splitlines()[:2]
        print(f"note: skipping the structural edit: this remedy rejects {structural_plan}:\n  " + "\n  ".join(reason))
        del contenders["remedy structural"]
    only = os.environ.get("ONLY")
    if only:
        wanted = {w.strip() for w in only.split(",")}
        contenders = {k: v for k, v in contenders.items() if k in wanted or k == "rg+sed"}

    times = {name: [] for name in contenders}
    rss = {name: [] for name in contenders}
    reference = None
    failed = []
    # One copy per run of this script, so that two runs sharing BENCH_DIR do not clobber each other.
    copy = os.path.join(base, f"copy-{os.getpid()}")
    site_paths = [e["path"] for e in entries]
    shutil.rmtree(copy, ignore_errors=True)
    subprocess.run(["cp", "-a", corpus, copy], check=True)
    for r in range(runs):
        for name, run in contenders.items():
            if fresh:
                shutil.rmtree(copy, ignore_errors=True)
                subprocess.run(["cp", "-a", corpus, copy], check=True)
            else:
                restore(copy, corpus, site_paths)
            subprocess.run(["sync"], check=True)
            warm(copy)
            elapsed, peak, code, out = run(copy)
            if code != 0:
                print(f"{name} failed (exit {code}):\n{out}")
                sys.exit(1)
            times[name].append(elapsed)
            rss[name].append(peak)
            print(f"  round {r + 1}/{runs}  {name:<30} {elapsed:7.3f} s  peak RSS {peak / 1024:6.1f} MiB", flush=True)
            if r == 0:
                # Check once what each contender changed, against the manifest; the regex edits
                # must also agree with rg+sed byte for byte.
                changed = changed_files(copy, corpus)
                if not check_edit(name, changed, corpus, entries):
                    failed.append(name)
                    # Whatever it changed outside the manifest goes back too, so that the next
                    # contender starts from the corpus.
                    for rel in set(changed) - set(site_paths):
                        if os.path.isfile(os.path.join(corpus, rel)):
                            shutil.copy2(os.path.join(corpus, rel), os.path.join(copy, rel))
                        elif os.path.isfile(os.path.join(copy, rel)):
                            os.unlink(os.path.join(copy, rel))
                if reference is None:
                    reference = changed
                elif name in ("fastmod", "remedy regex") and changed != reference:
                    differ = [k for k in changed.keys() | reference.keys() if changed.get(k) != reference.get(k)]
                    print(f"    MISMATCH: {name} changed {len(changed)} files, rg+sed {len(reference)}; "
                          f"{len(differ)} differ ({first(differ)})")
                    failed.append(f"{name} vs rg+sed")
                elif name in ("fastmod", "remedy regex"):
                    print(f"    ok: {name} changed the same {len(changed)} files as rg+sed, byte for byte")
    shutil.rmtree(copy, ignore_errors=True)

    base_median = statistics.median(times["rg+sed"])
    print(f"\nmedians over {runs} runs (corpus {info['files']} files, {info['bytes'] / 1e6:.0f} MB):")
    print(f"  {'contender':<30} {'median':>8}  {'ratio to rg+sed':>15}  {'peak RSS':>9}")
    for name in contenders:
        m = statistics.median(times[name])
        print(f"  {name:<30} {m:7.3f}s  {m / base_median:14.2f}x  {max(rss[name]) / 1024:6.1f} MiB")
    if failed:
        print(f"\nFAILED: {len(failed)} check(s) found a wrong edit ({', '.join(failed)}); "
              "their times above do not count.")
        sys.exit(1)


if __name__ == "__main__":
    main()
