#!/usr/bin/env python3
"""Builds the real-code corpus: source distributions of large Python projects, with sites planted.

Usage: real_corpus.py DEST [--sdists DIR]

The source distributions are fetched once with `pip download --no-deps --no-binary :all:` into
the sdists folder (by default DEST/../sdists) and kept there. Each is unpacked; its import
packages (a folder with an `__init__.py` at the top of the distribution, or under `src/` or
`lib/`) go to the root of the corpus, so that absolute imports between modules (`from
django.db import models`) name files of the tree, as in a monorepo; the rest of the distribution
(tests, docs, scripts) stays under `NAME-VERSION/`.

Then the sites, into real files, chosen by a seeded random generator and located with Python's
own parser so that every planted file still parses:

- a package `app/websocket_core/` defines the synchronous `get_websocket_manager(ctx)`, the
  coroutine `get_websocket_manager_async(ctx)` and the deprecated `get_websocket_manager_legacy`,
  and re-exports them from its `__init__.py`;
- in SITE_FILES modules with async functions: an import of the factory (from the module or
  through the package's re-export, alternately) before the first top-level statement that is a
  definition, and in up to three async functions a first statement
  `manager = await get_websocket_manager(PARAM)`; one in three of these modules also awaits the
  coroutine (`await get_websocket_manager_async(PARAM)`, which stays) and one in two calls the
  legacy factory (`get_websocket_manager_legacy(PARAM)`, which the plan renames);
- in DECOY_FILES other modules: a local `async def get_websocket_manager(ctx)` awaited by one of
  the module's async functions (not the symbol: a symbol-aware edit leaves it, a regex does not).

The manifest (.corpus-sites.json) lists, per planted file, its text after each contender's edit
(see VERSIONS), so that every result can be checked byte for byte.
"""

import argparse
import ast
import glob
import json
import os
import random
import shutil
import subprocess
import sys
import tarfile

# The distributions, pinned: about 20,000 Python files together.
SDISTS = ["django==6.1.3", "homeassistant==2026.11.0", "sympy==1.14.0", "sqlalchemy==2.1.9",
          "salt==3008.5"]
SEED = 1184
SITE_FILES = 300
DECOY_FILES = 100
MANIFEST = ".corpus-sites.json"
# The versions of each planted file the manifest holds: as planted; after removing every
# `await get_websocket_manager(` (rg+sed, or a structural edit without `symbol:`); after the
# symbol-aware edit alone (the decoys keep theirs); after the founding-like plan's two symbol-aware
# edits (also the legacy factory renamed, and its import removed where it is left unused); after
# the two regex substitutions of rg+sed.
VERSIONS = ["before", "await_all", "await_symbol", "plan_symbol", "plan_regex"]

WS_MODULE = '''"""The websocket manager factory, planted by the benchmark."""


class WebSocketManager:
    def __init__(self, ctx):
        self.ctx = ctx


def get_websocket_manager(ctx):
    return WebSocketManager(ctx)


def get_websocket_manager_legacy(ctx):
    return WebSocketManager(ctx)


async def get_websocket_manager_async(ctx):
    return WebSocketManager(ctx)
'''
WS_INIT = ("from .websocket_manager import get_websocket_manager as get_websocket_manager\n"
           "from .websocket_manager import get_websocket_manager_async as get_websocket_manager_async\n"
           "from .websocket_manager import get_websocket_manager_legacy as get_websocket_manager_legacy\n")
IMPORTS = ["from app.websocket_core.websocket_manager import get_websocket_manager, "
           "get_websocket_manager_async, get_websocket_manager_legacy",
           "from app.websocket_core import get_websocket_manager, get_websocket_manager_async, "
           "get_websocket_manager_legacy"]


def fetch(sdists_dir):
    os.makedirs(sdists_dir, exist_ok=True)
    for spec in SDISTS:
        name, version = spec.split("==")
        if glob.glob(os.path.join(sdists_dir, f"{name}-{version}.tar.gz")):
            continue
        # The newest releases ask for a newer Python than this machine may have; only the source
        # is wanted, so the interpreter version is given.
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:",
                        "--python-version", "3.14.2", "-d", sdists_dir, spec], check=True)


def unpack(sdists_dir, dest):
    for spec in SDISTS:
        name, version = spec.split("==")
        archive = os.path.join(sdists_dir, f"{name}-{version}.tar.gz")
        with tarfile.open(archive) as tar:
            tar.extractall(dest, filter="data")
        top = os.path.join(dest, f"{name}-{version}")
        for base in [top, os.path.join(top, "src"), os.path.join(top, "lib")]:
            if not os.path.isdir(base):
                continue
            for entry in sorted(os.listdir(base)):
                path = os.path.join(base, entry)
                target = os.path.join(dest, entry)
                if (os.path.isfile(os.path.join(path, "__init__.py")) and not os.path.exists(target)):
                    shutil.move(path, target)


def python_files(dest):
    out = []
    for folder, dirs, files in os.walk(dest):
        dirs.sort()
        for f in sorted(files):
            if f.endswith(".py"):
                out.append(os.path.relpath(os.path.join(folder, f), dest))
    return out


def parse(text):
    try:
        return ast.parse(text)
    except (SyntaxError, ValueError):
        return None


def first_definition_line(tree):
    """The 0-based line before which an import can go at top level: the first def or class (before
    its decorators)."""
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            return min([node.lineno] + [d.lineno for d in node.decorator_list]) - 1
    return None


def async_insertion_points(tree, lines):
    """For each async function whose body starts on a line of its own: (0-based line, indent,
    first parameter) where a first statement can go."""
    points = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.AsyncFunctionDef):
            continue
        body = node.body
        first = body[0]
        if (isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
                and isinstance(first.value.value, str)):
            if len(body) < 2:
                continue
            first = body[1]
        start = min([first.lineno] + [d.lineno for d in getattr(first, "decorator_list", [])])
        if first.lineno <= node.lineno or start - 1 >= len(lines):
            continue
        line = lines[start - 1]
        indent = line[:len(line) - len(line.lstrip())]
        # The statement must start its line, indented with spaces only.
        if not indent or indent.strip(" ") or len(indent) != first.col_offset:
            continue
        args = node.args.posonlyargs + node.args.args
        param = args[0].arg if args else "None"
        points.append((start - 1, indent, param))
    return points


def plant(dest, rng):
    os.makedirs(os.path.join(dest, "app", "websocket_core"), exist_ok=True)
    with open(os.path.join(dest, "app", "__init__.py"), "w") as f:
        f.write("")
    with open(os.path.join(dest, "app", "websocket_core", "__init__.py"), "w") as f:
        f.write(WS_INIT)
    with open(os.path.join(dest, "app", "websocket_core", "websocket_manager.py"), "w") as f:
        f.write(WS_MODULE)
    candidates = []
    for rel in python_files(dest):
        if rel.startswith("app/"):
            continue
        with open(os.path.join(dest, rel), "rb") as f:
            raw = f.read()
        if b"async def" not in raw or b"\r\n" in raw:
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            continue
        tree = parse(text)
        if tree is None:
            continue
        lines = text.split("\n")
        points = async_insertion_points(tree, lines)
        top = first_definition_line(tree)
        if points and top is not None:
            candidates.append((rel, text, points, top))
    rng.shuffle(candidates)
    entries = []
    stats = {"site_files": 0, "sites": 0, "async_sites": 0, "legacy_sites": 0, "decoy_files": 0}
    for n, (rel, text, points, top) in enumerate(candidates[:SITE_FILES + DECOY_FILES]):
        decoy = n >= SITE_FILES
        lines = text.split("\n")
        # Each planted line in every version the manifest keeps (see VERSIONS).
        inserts = {}
        chosen = rng.sample(points, min(len(points), 1 if decoy else 3))
        for k, (at, indent, param) in enumerate(chosen):
            awaited = f"{indent}manager = await get_websocket_manager({param})"
            fixed = f"{indent}manager = get_websocket_manager({param})"
            by_symbol = awaited if decoy else fixed
            rows = [(awaited, fixed, by_symbol, by_symbol, fixed)]
            if not decoy and k == 0 and n % 3 == 0:
                rows.append((f"{indent}await get_websocket_manager_async({param})", ) * 5)
                stats["async_sites"] += 1
            if not decoy and k == 0 and n % 2 == 0:
                legacy = f"{indent}get_websocket_manager_legacy({param})"
                renamed = f"{indent}get_websocket_manager({param})"
                rows.append((legacy, legacy, legacy, renamed, renamed))
                stats["legacy_sites"] += 1
            inserts.setdefault(at, []).extend(rows)
        if decoy:
            header = [(line, ) * 5 for line in
                      ["", "async def get_websocket_manager(ctx):", "    return ctx", ""]]
        else:
            imports = IMPORTS[n % 2]
            # The plan replaces every legacy call of a file that has one, and an import its
            # change left unused is removed (except from a package's `__init__.py`).
            legacy_gone = n % 2 == 0 and chosen and not rel.endswith("__init__.py")
            after_plan = imports.replace(", get_websocket_manager_legacy", "") if legacy_gone else imports
            header = [(imports, imports, imports, after_plan, imports)]
        inserts.setdefault(top, [])[:0] = header
        versions = [[] for _ in VERSIONS]
        for i, line in enumerate(lines):
            for row in inserts.get(i, []):
                for v, text in enumerate(row):
                    versions[v].append(text)
            for v in versions:
                v.append(line)
        texts = dict(zip(VERSIONS, ("\n".join(v) for v in versions)))
        before = texts["before"]
        if any(parse(t) is None for t in texts.values()):
            continue
        with open(os.path.join(dest, rel), "w") as f:
            f.write(before)
        entries.append({"path": rel, "decoy": decoy, **texts})
        if decoy:
            stats["decoy_files"] += 1
        else:
            stats["site_files"] += 1
            stats["sites"] += len(chosen)
    with open(os.path.join(dest, MANIFEST), "w") as f:
        json.dump({"files": entries}, f)
    return stats


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dest")
    ap.add_argument("--sdists")
    args = ap.parse_args()
    dest = os.path.abspath(args.dest)
    sdists = args.sdists or os.path.join(os.path.dirname(dest), "sdists")
    fetch(sdists)
    shutil.rmtree(dest, ignore_errors=True)
    os.makedirs(dest)
    unpack(sdists, dest)
    stats = plant(dest, random.Random(SEED))
    files = python_files(dest)
    size = sum(os.path.getsize(os.path.join(dest, f)) for f in files)
    stats.update({"files": len(files), "bytes": size, "sdists": SDISTS, "seed": SEED})
    print(json.dumps(stats))


if __name__ == "__main__":
    main()
