#!/usr/bin/env python3
"""Writes a synthetic Python monorepo for benches/patch-speed.sh, deterministic by seed.

The corpus is meant to look like the code a remediation plan meets: files of very different sizes
(a long tail of large generated modules), about a tenth with CRLF line ends, a few latin-1 and
binary files, decoys that share the literal core of the pattern without being a site
(`await get_websocket_manager_async(`, plain synchronous calls), the pattern inside strings and
comments, and a few hundred files with awaited call sites, some of them in large files. About half
of the sites and code decoys sit in methods of a service class, among other methods, the rest in
top-level functions.

Two forms of site are written. A direct site awaits the call itself
(`manager = await get_websocket_manager(ctx)`), which is what the plans mean to fix. The chained
form `await get_websocket_manager(ctx).close_all()` only looks like one: Python reads it as
`await (get_websocket_manager(ctx).close_all())`, so it awaits `.close_all()` and is correct code.
A regex removes that await too; an edit that reads the syntax leaves it alone. Both are counted
apart, so the benchmark can check each contender against what it should have changed.

Usage: gen_corpus.py DIR [--files N] [--mbytes M] [--sites S] [--seed SEED]
Prints one line of JSON with what it wrote, and writes DIR/.corpus-sites.json (see MANIFEST).
"""

import argparse
import json
import math
import os
import random

WORDS = (
    "user account session token request response handler manager client server cache queue "
    "event message payload config settings router view model schema field record item order "
    "invoice payment customer tenant project task job worker scheduler metric report export "
    "importer upload download stream socket channel room member role permission policy audit "
    "log entry index search query filter page cursor batch chunk buffer retry timeout limit"
).split()


def ident(rng, parts=2):
    return "_".join(rng.choice(WORDS) for _ in range(parts))


def camel(rng, parts=2):
    return "".join(rng.choice(WORDS).capitalize() for _ in range(parts))


def function_block(rng):
    name = ident(rng, rng.randint(2, 3))
    args = ", ".join(ident(rng, 1) for _ in range(rng.randint(0, 4)))
    asynchronous = rng.random() < 0.3
    lines = [f"{'async ' if asynchronous else ''}def {name}({args}):"]
    if rng.random() < 0.5:
        lines.append(f'    """{rng.choice(WORDS).capitalize()} the {ident(rng)} for the {rng.choice(WORDS)}."""')
    for _ in range(rng.randint(2, 14)):
        kind = rng.random()
        var = ident(rng, 1)
        if kind < 0.25:
            lines.append(f"    {var} = {ident(rng)}({ident(rng, 1)}, {rng.randint(0, 999)})")
        elif kind < 0.4:
            lines.append(f"    if {var} is None:")
            lines.append(f"        raise ValueError(\"missing {var} for {ident(rng)}\")")
        elif kind < 0.5:
            lines.append(f"    # {rng.choice(WORDS)} {rng.choice(WORDS)} {rng.choice(WORDS)}: keep in sync with {ident(rng)}")
        elif kind < 0.6 and asynchronous:
            lines.append(f"    {var} = await self_{ident(rng)}.{ident(rng, 1)}({var})")
        elif kind < 0.7:
            lines.append(f"    for {var} in {ident(rng)}:")
            lines.append(f"        {ident(rng, 1)}.append({var}.{ident(rng, 1)})")
        elif kind < 0.8:
            lines.append(f"    logger.info(\"{ident(rng)} %s\", {var})")
        else:
            lines.append(f"    {var} = {{\"{ident(rng, 1)}\": {rng.randint(0, 99)}, \"{ident(rng, 1)}\": {var}}}")
    lines.append(f"    return {ident(rng, 1)}")
    return "\n".join(lines) + "\n\n"


def class_block(rng):
    lines = [f"class {camel(rng)}({rng.choice(['object', 'BaseModel', 'Exception', 'Protocol'])}):"]
    lines.append(f'    """{camel(rng, 1)} {rng.choice(WORDS)}."""')
    for _ in range(rng.randint(1, 5)):
        lines.append(f"    {ident(rng, 1)}: {rng.choice(['int', 'str', 'float', 'list[str]', 'dict[str, int]'])} = {rng.choice(['0', 'None', repr(ident(rng))])}")
    lines.append("")
    for _ in range(rng.randint(1, 4)):
        body = function_block(rng).replace("(", "(self, ", 1).replace("(self, )", "(self)", 1)
        lines.extend("    " + line if line else "" for line in body.rstrip("\n").split("\n"))
        lines.append("")
    return "\n".join(lines) + "\n\n"


def table_block(rng):
    rows = ",\n".join(
        f"    ({rng.randint(0, 10**6)}, {ident(rng)!r}, {rng.random():.6f})" for _ in range(rng.randint(50, 400))
    )
    return f"{ident(rng).upper()} = [\n{rows},\n]\n\n"


def header(rng):
    imports = sorted({f"from {ident(rng, 1)}.{ident(rng, 1)} import {ident(rng)}" for _ in range(rng.randint(2, 10))})
    return f'"""{camel(rng)}: {rng.choice(WORDS)} {rng.choice(WORDS)} helpers."""\n\nimport logging\n' + "\n".join(imports) + "\n\nlogger = logging.getLogger(__name__)\n\n\n"


# The manifest lists every file the regex `await\s+(get_websocket_manager\()` matches, with how many
# direct sites, chained sites and matches inside strings and comments (`text`) it holds. It is not a
# .py file, so no contender reads it.
MANIFEST = ".corpus-sites.json"
MANIFEST_FORMAT = 1

# Site forms, as top-level functions and as methods of a service class. `{s}` is the whitespace
# between `await` and the call; the direct forms assign or return the awaited call.
DIRECT_FUNCTIONS = (
    "async def notify_{n}(user_context, payload):\n"
    "    manager = await{s}get_websocket_manager(user_context=user_context)\n"
    "    await manager.send_to_user(user_context.user_id, payload)\n\n",
    "async def broadcast_{n}(room):\n"
    "    ws = await{s}get_websocket_manager()\n"
    "    for member in room.members:\n"
    "        await ws.send(member, {{\"type\": \"ping\"}})\n\n",
)
CHAINED_FUNCTION = "async def close_{n}(ctx):\n    await{s}get_websocket_manager(ctx).close_all()\n\n"
DIRECT_METHODS = (
    "    async def notify_{n}(self, payload):\n"
    "        manager = await{s}get_websocket_manager(user_context=self.user_context)\n"
    "        await manager.send_to_user(self.user_context.user_id, payload)\n",
    "    async def broadcast_{n}(self, room):\n"
    "        ws = await{s}get_websocket_manager()\n"
    "        for member in room.members:\n"
    "            await ws.send(member, {{\"type\": \"ping\"}})\n",
    "    async def attach_{n}(self):\n"
    "        self.manager = await{s}get_websocket_manager(self.ctx)\n"
    "        return self.manager\n",
    "    async def manager_{n}(self):\n"
    "        return await{s}get_websocket_manager(self.ctx)\n",
)
CHAINED_METHOD = (
    "    async def close_{n}(self):\n"
    "        await{s}get_websocket_manager(self.ctx).close_all()\n"
    "        self.closed = True\n"
)


def site_block(rng, n, method):
    """Returns (text, is_chained): a top-level function, or a method indented for a class body."""
    spaces = rng.choice([" ", " ", " ", "  ", "\t"])
    chained = rng.random() < 1 / 3
    if chained:
        template = CHAINED_METHOD if method else CHAINED_FUNCTION
    else:
        template = rng.choice(DIRECT_METHODS if method else DIRECT_FUNCTIONS)
    return template.format(n=n, s=spaces), chained


def decoy_code_block(rng, n, method):
    if method:
        return rng.choice([
            f"    async def legacy_{n}(self):\n        manager = await get_websocket_manager_async(self.ctx)\n        return manager\n",
            f"    def stats_{n}(self):\n        manager = get_websocket_manager(self.ctx)\n        return manager.stats()\n",
            f"    async def other_{n}(self):\n        return await get_websocket_manager_factory()(self.ctx)\n",
        ])
    return rng.choice([
        f"async def legacy_{n}(ctx):\n    manager = await get_websocket_manager_async(ctx)\n    return manager\n\n",
        f"def sync_{n}(ctx):\n    manager = get_websocket_manager(ctx)\n    return manager.stats()\n\n",
        f"async def other_{n}(ctx):\n    return await get_websocket_manager_factory()(ctx)\n\n",
    ])


# Each of these holds exactly one match of the regex, inside a comment or a string.
def decoy_text_block(rng, n):
    return rng.choice([
        f"def doc_{n}():\n    # Callers used to write `await get_websocket_manager()`; it is synchronous now.\n    return None\n\n",
        f"HELP_{n} = \"replace await get_websocket_manager( with get_websocket_manager(\"\n\n",
        f"def explain_{n}():\n    \"\"\"Never write await get_websocket_manager() in new code.\"\"\"\n    return 1\n\n",
    ])


def as_method(block):
    """Turns a top-level function from function_block into a method indented for a class body."""
    body = block.replace("(", "(self, ", 1).replace("(self, )", "(self)", 1)
    return "".join("    " + line + "\n" if line else "\n" for line in body.rstrip("\n").split("\n"))


def service_class(rng, methods):
    """A service class holding the given methods among a few ordinary ones, in random order."""
    methods = methods + [as_method(function_block(rng)) for _ in range(rng.randint(1, 4))]
    rng.shuffle(methods)
    name = camel(rng)
    init = (
        "    def __init__(self, ctx, user_context=None):\n"
        "        self.ctx = ctx\n"
        "        self.user_context = user_context\n"
        "        self.manager = None\n"
        "        self.closed = False\n"
    )
    head = f'class {name}Service:\n    """{name} service: {rng.choice(WORDS)} and {rng.choice(WORDS)} over websockets."""\n\n'
    return head + "\n".join([init] + methods) + "\n\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--files", type=int, default=80_000)
    ap.add_argument("--mbytes", type=int, default=1024)
    ap.add_argument("--sites", type=int, default=300, help="files with awaited call sites (direct or chained)")
    ap.add_argument("--seed", type=int, default=1184)
    a = ap.parse_args()
    rng = random.Random(a.seed)

    # A pool of blocks, so that writing a gigabyte costs string joins, not formatting.
    pool = [function_block(rng) for _ in range(4000)] + [class_block(rng) for _ in range(1500)]
    tables = [table_block(rng) for _ in range(200)]

    # Sizes: log-normal around 6 KiB, plus a tail of large generated modules (100 KiB to 2 MiB);
    # then scaled so the total is the target.
    sizes = []
    for _ in range(a.files):
        if rng.random() < 0.01:
            sizes.append(int(math.exp(rng.uniform(math.log(100_000), math.log(2_000_000)))))
        else:
            sizes.append(max(200, int(rng.lognormvariate(math.log(6000), 1.0))))
    scale = a.mbytes * 1024 * 1024 / sum(sizes)
    sizes = [max(120, int(s * scale)) for s in sizes]

    order = list(range(a.files))
    rng.shuffle(order)
    site_files = set(order[: a.sites])
    decoy_code = set(order[a.sites : a.sites * 3])
    decoy_text = set(order[a.sites * 3 : a.sites * 4])
    latin1 = set(order[a.sites * 4 : a.sites * 4 + 40])
    binary = set(order[a.sites * 4 + 40 : a.sites * 4 + 60])

    packages = [f"{ident(rng, 1)}_{i}" for i in range(max(1, a.files // 250))]
    total = crlf_count = direct_count = chained_count = method_count = 0
    manifest = []
    for i in range(a.files):
        pkg = packages[i % len(packages)]
        sub = ("core", "api", "services", "tests", "utils")[(i // len(packages)) % 5]
        rel = os.path.join("src", pkg, sub, f"{ident(rng, 2)}_{i}.py")
        blocks = [header(rng)]
        size = len(blocks[0])
        large = sizes[i] > 100_000
        while size < sizes[i]:
            b = rng.choice(tables) if large and rng.random() < 0.5 else rng.choice(pool)
            blocks.append(b)
            size += len(b)
        # Top-level blocks go in as they are; methods go together into one service class.
        extra, methods = [], []
        direct = chained = text_matches = 0
        if i in site_files:
            for k in range(rng.randint(1, 3)):
                method = rng.random() < 0.5
                block, is_chained = site_block(rng, f"{i}_{k}", method)
                (methods if method else extra).append(block)
                chained += is_chained
                direct += not is_chained
                method_count += method
            if rng.random() < 0.5:
                extra.append(decoy_text_block(rng, i))
                text_matches += 1
            if rng.random() < 0.5:
                method = rng.random() < 0.5
                (methods if method else extra).append(decoy_code_block(rng, i, method))
        if i in decoy_code:
            method = rng.random() < 0.5
            (methods if method else extra).append(decoy_code_block(rng, i, method))
        if i in decoy_text:
            extra.append(decoy_text_block(rng, i))
            text_matches += 1
        if methods:
            extra.append(service_class(rng, methods))
        for b in extra:
            blocks.insert(rng.randint(1, len(blocks)), b)
        text = "".join(blocks)
        if rng.random() < 0.1:
            text = text.replace("\n", "\r\n")
            crlf_count += 1
        data = text.encode()
        if i in latin1:
            data = b"# caf\xe9 cr\xe8me, encoded as latin-1\n" + data
        if i in binary:
            data = data[:64] + b"\x00\x01\x02" + data[64:]
        path = os.path.join(a.dir, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
        total += len(data)
        direct_count += direct
        chained_count += chained
        if direct or chained or text_matches:
            manifest.append({"path": rel, "direct": direct, "chained": chained, "text": text_matches})

    manifest.sort(key=lambda entry: entry["path"])
    with open(os.path.join(a.dir, MANIFEST), "w") as f:
        json.dump({
            "format_version": MANIFEST_FORMAT, "seed": a.seed,
            "pattern": r"await\s+(get_websocket_manager\()",
            "fields": {
                "direct": "sites that await the call itself, e.g. `x = await get_websocket_manager(ctx)`",
                "chained": "`await get_websocket_manager(ctx).close_all()`, which awaits .close_all()",
                "text": "matches of the pattern inside strings and comments",
            },
            "files": manifest,
        }, f, indent=1)
        f.write("\n")
    print(json.dumps({
        "files": a.files, "bytes": total, "site_files": len(site_files), "sites": direct_count + chained_count,
        "direct_sites": direct_count, "chained_sites": chained_count,
        "direct_site_files": sum(1 for entry in manifest if entry["direct"]), "method_sites": method_count,
        "decoy_files": len(decoy_code) + len(decoy_text), "crlf_files": crlf_count,
        "latin1_files": len(latin1), "binary_files": len(binary), "seed": a.seed,
    }))


if __name__ == "__main__":
    main()
