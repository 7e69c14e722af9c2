#!/usr/bin/env python3
"""Times a fleet three ways (see benches/fleet-speed.sh): each repository cloned and run with
`remedy run` one after another, `remedy fleet run -j 1`, and `remedy fleet run -j J`. For each it
reports the wall time and the CPU time of every process it started (user + system, from
getrusage of the children), which a busy machine disturbs far less than the wall time.

Usage: fleet_speed.py REMEDY WORKDIR N J
"""

import os
import resource
import subprocess
import sys
import time


def cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def timed(fn):
    c0, t0 = cpu(), time.monotonic()
    fn()
    return time.monotonic() - t0, cpu() - c0


def main():
    remedy, work, n, jobs = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    os.chdir(work)
    with open("repos.txt") as f:
        urls = [l.strip() for l in f if l.strip()]
    quiet = dict(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def sequential():
        for i, url in enumerate(urls):
            subprocess.run(["git", "clone", "-q", url, f"seq/{i}"], check=True)
            subprocess.run(["git", "-C", f"seq/{i}", "checkout", "-q", "-b", "remedy/fleet-unawait"], check=True)
            subprocess.run([remedy, "-q", "run", "plan.yaml", "--root", f"seq/{i}"], **quiet)

    def fleet(j, ws):
        return lambda: subprocess.run(
            [remedy, "-q", "fleet", "run", "plan.yaml", "--repos", "repos.txt", "-j", str(j), "--workspace", ws],
            **quiet,
        )

    print(f"repositories: {n}; CPUs: {os.cpu_count()}; load average before: {os.getloadavg()[0]:.1f}")
    rows = [
        ("sequential clone + remedy run", timed(sequential)),
        ("remedy fleet run -j 1", timed(fleet(1, "ws1"))),
        (f"remedy fleet run -j {jobs}", timed(fleet(jobs, "wsj"))),
    ]
    for name, (wall, c) in rows:
        print(f"{name:32} wall {wall:7.2f} s   CPU {c:7.2f} s   ({wall / n * 1000:.0f} ms wall, {c / n * 1000:.0f} ms CPU per repository)")
    (seq_wall, seq_cpu), (f1_wall, f1_cpu), (fj_wall, _) = (r[1] for r in rows)
    print(f"speed-up of -j {jobs} over sequential (wall): {seq_wall / fj_wall:.2f}x")
    print(f"fleet layer per repository: {(f1_cpu - seq_cpu) / n * 1000:+.0f} ms CPU, {(f1_wall - seq_wall) / n * 1000:+.0f} ms wall")
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
