#!/usr/bin/env python3
"""Generates a fleet for benches/fleet-speed.sh: N bare git repositories, each a tiny Python
package whose handler awaits the synchronous get_manager() (every third one already does not),
a repositories list of file:// URLs, and the plan that fixes them.

Usage: fleet_gen.py DIR N
Writes DIR/src/repoNN.git, DIR/repos.txt and DIR/plan.yaml.
"""

import os
import subprocess
import sys
import tempfile

PLAN = """\
id: fleet-unawait
title: Stop awaiting the synchronous get_manager()
description: get_manager() returns the manager itself; awaiting it raises TypeError.
files:
  include: ["**/*.py"]
phases:
  - { name: backup, kind: backup }
  - name: baseline
    kind: pytest
    allow_failures: true
    suites: [{ name: unit, args: [tests, -p, no:cacheprovider] }]
  - name: unawait
    kind: patch
    edits:
      - { name: drop await, regex: 'await (get_manager\\()', replace: '$1' }
  - name: tests
    kind: pytest
    compare_with: baseline
    suites: [{ name: unit, args: [tests, -p, no:cacheprovider] }]
    criteria: { no_new_failures: true }
  - { name: report, kind: report }
"""

MODULE_AWAITS = '''\
def get_manager():
    return "manager"


async def handler():
    return await get_manager()
'''

MODULE_FIXED = MODULE_AWAITS.replace("await get_manager()", "get_manager()")

TEST = '''\
import asyncio

from app.ws import handler


def test_handler():
    assert asyncio.run(handler()) == "manager"
'''


def git(*args, cwd):
    env = dict(os.environ, GIT_AUTHOR_NAME="gen", GIT_AUTHOR_EMAIL="gen@localhost",
               GIT_COMMITTER_NAME="gen", GIT_COMMITTER_EMAIL="gen@localhost")
    subprocess.run(["git", *args], cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL)


def make_repo(bare, fixed):
    with tempfile.TemporaryDirectory() as work:
        files = {
            "app/__init__.py": "",
            "app/ws.py": MODULE_FIXED if fixed else MODULE_AWAITS,
            "tests/test_ws.py": TEST,
            "conftest.py": "",
        }
        for rel, text in files.items():
            path = os.path.join(work, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w") as f:
                f.write(text)
        git("init", "-q", "-b", "main", cwd=work)
        git("add", "-A", cwd=work)
        git("commit", "-q", "-m", "initial", cwd=work)
        git("clone", "-q", "--bare", work, bare, cwd=work)


def main():
    out, n = sys.argv[1], int(sys.argv[2])
    os.makedirs(os.path.join(out, "src"), exist_ok=True)
    lines = []
    for i in range(n):
        bare = os.path.join(out, "src", f"repo{i:02}.git")
        make_repo(bare, fixed=(i % 3 == 2))
        lines.append(f"file://{bare}")
    with open(os.path.join(out, "repos.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
    with open(os.path.join(out, "plan.yaml"), "w") as f:
        f.write(PLAN)


if __name__ == "__main__":
    main()
