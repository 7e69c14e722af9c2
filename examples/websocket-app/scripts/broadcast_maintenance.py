#!/usr/bin/env python3
"""Announce a maintenance window to every connected client.

Usage:
    scripts/broadcast_maintenance.py --starts-in 30 --duration 15
    scripts/broadcast_maintenance.py --demo      # attach two loopback clients first
    scripts/broadcast_maintenance.py --dry-run   # print the message and exit
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parents[1]
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

from app.websocket_core import (  # noqa: E402
    InMemoryTransport,
    UserExecutionContext,
    get_websocket_manager,
    get_websocket_manager_factory,
)


def maintenance_message(starts_in: int, duration: int, note: str = "") -> dict[str, Any]:
    return {
        "type": "maintenance_scheduled",
        "starts_in_minutes": starts_in,
        "duration_minutes": duration,
        "note": note,
    }


async def broadcast_maintenance(message: dict[str, Any]) -> dict[str, int]:
    """Send *message* to anonymous subscribers and to every signed-in user."""
    factory = await get_websocket_manager_factory()
    shared = await get_websocket_manager()
    report = {"<shared>": await shared.broadcast(message)}
    for ctx in factory.active_contexts():
        manager = await get_websocket_manager(user_context=ctx)
        report[ctx.user_id] = await manager.broadcast(message)
    return report


async def attach_demo_clients(user_ids: list[str]) -> list[InMemoryTransport]:
    transports = []
    for user_id in user_ids:
        ctx = UserExecutionContext(user_id=user_id, thread_id="demo")
        manager = await get_websocket_manager(ctx)
        transport = InMemoryTransport(f"demo-{user_id}")
        await manager.connect(user_id, transport)
        transports.append(transport)
    return transports


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--starts-in", type=int, default=30, help="minutes until maintenance")
    parser.add_argument("--duration", type=int, default=15, help="expected downtime in minutes")
    parser.add_argument("--note", default="", help="free text shown to users")
    parser.add_argument("--demo", action="store_true", help="attach loopback clients first")
    parser.add_argument("--dry-run", action="store_true", help="print the message only")
    return parser.parse_args(argv)


async def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    message = maintenance_message(args.starts_in, args.duration, args.note)
    if args.dry_run:
        print(json.dumps(message, indent=2))
        return
    if args.demo:
        await attach_demo_clients(["demo-alice", "demo-bob"])
    report = await broadcast_maintenance(message)
    delivered = sum(report.values())
    print(f"maintenance notice delivered to {delivered} connection(s)")
    for target, count in sorted(report.items()):
        print(f"  {target}: {count}")


if __name__ == "__main__":
    asyncio.run(main())
