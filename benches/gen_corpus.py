#!/usr/bin/env python3
"""Writes a synthetic Python monorepo for benches/patch-speed.sh, deterministic by seed.

The corpus is meant to look like the code a remediation plan meets: files of very different sizes
(a long tail of large generated modules), about a tenth with CRLF line ends, a few latin-1 and
binary files, decoys that share the literal core of the pattern without being a site
(`await get_websocket_manager_async(`, plain synchronous calls), the pattern inside strings and
comments, and a few hundred files with real awaited call sites, some of them in large files.

Usage: gen_corpus.py DIR [--files N] [--mbytes M] [--sites S] [--seed SEED]
Prints one line of JSON with what it wrote.
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


# The pattern the plans look for is `await\s+(get_websocket_manager\()`.
def site_block(rng, n):
    spaces = rng.choice([" ", " ", " ", "  ", "\t"])
    return rng.choice([
        f"async def notify_{n}(user_context, payload):\n    manager = await{spaces}get_websocket_manager(user_context=user_context)\n    await manager.send_to_user(user_context.user_id, payload)\n\n",
        f"async def broadcast_{n}(room):\n    ws = await{spaces}get_websocket_manager()\n    for member in room.members:\n        await ws.send(member, {{\"type\": \"ping\"}})\n\n",
        f"async def close_{n}(ctx):\n    await{spaces}get_websocket_manager(ctx).close_all()\n\n",
    ])


def decoy_code_block(rng, n):
    return rng.choice([
        f"async def legacy_{n}(ctx):\n    manager = await get_websocket_manager_async(ctx)\n    return manager\n\n",
        f"def sync_{n}(ctx):\n    manager = get_websocket_manager(ctx)\n    return manager.stats()\n\n",
        f"async def other_{n}(ctx):\n    return await get_websocket_manager_factory()(ctx)\n\n",
    ])


def decoy_text_block(rng, n):
    return rng.choice([
        f"def doc_{n}():\n    # Callers used to write `await get_websocket_manager()`; it is synchronous now.\n    return None\n\n",
        f"HELP_{n} = \"replace await get_websocket_manager( with get_websocket_manager(\"\n\n",
        f"def explain_{n}():\n    \"\"\"Never write await get_websocket_manager() in new code.\"\"\"\n    return 1\n\n",
    ])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--files", type=int, default=80_000)
    ap.add_argument("--mbytes", type=int, default=1024)
    ap.add_argument("--sites", type=int, default=300, help="files with real sites")
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
    total = crlf_count = site_count = 0
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
        extra = []
        if i in site_files:
            for k in range(rng.randint(1, 3)):
                extra.append(site_block(rng, f"{i}_{k}"))
                site_count += 1
            if rng.random() < 0.5:
                extra.append(decoy_text_block(rng, i))
            if rng.random() < 0.5:
                extra.append(decoy_code_block(rng, i))
        if i in decoy_code:
            extra.append(decoy_code_block(rng, i))
        if i in decoy_text:
            extra.append(decoy_text_block(rng, i))
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
    print(json.dumps({
        "files": a.files, "bytes": total, "site_files": len(site_files), "sites": site_count,
        "decoy_files": len(decoy_code) + len(decoy_text), "crlf_files": crlf_count,
        "latin1_files": len(latin1), "binary_files": len(binary), "seed": a.seed,
    }))


if __name__ == "__main__":
    main()
