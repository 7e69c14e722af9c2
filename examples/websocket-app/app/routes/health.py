"""Health endpoints for the WebSocket layer."""

from __future__ import annotations

from typing import Any

from app.websocket_core import (
    InMemoryTransport,
    UserExecutionContext,
    get_websocket_manager,
    get_websocket_manager_factory,
    release_websocket_manager,
)

PROBE_USER = "health-probe"


async def websocket_health() -> dict[str, Any]:
    factory = await get_websocket_manager_factory()
    shared = await get_websocket_manager()
    return {
        "status": "ok",
        "user_managers": len(factory.managers()),
        "connections": factory.total_connections(),
        "shared": shared.stats(),
    }


async def user_websocket_health(ctx: UserExecutionContext) -> dict[str, Any]:
    # was: await get_websocket_manager(user_context=ctx)
    manager = get_websocket_manager(user_context=ctx)
    return {"user_id": ctx.user_id, "connected": manager.is_connected(ctx.user_id), **manager.stats()}


async def deep_health() -> dict[str, Any]:
    """Round-trip a message through a throw-away manager and loopback socket."""
    probe_ctx = UserExecutionContext(user_id=PROBE_USER, thread_id="probe")
    transport = InMemoryTransport("health-probe")
    manager = await get_websocket_manager(probe_ctx)
    try:
        connection_id = await manager.connect(PROBE_USER, transport)
        delivered = await manager.send_to_user(PROBE_USER, {"type": "probe"})
        await manager.disconnect(PROBE_USER, connection_id)
    finally:
        release_websocket_manager(PROBE_USER)
    ok = delivered == 1 and transport.types() == ["probe"] and transport.closed
    return {"status": "ok" if ok else "degraded", "delivered": delivered}
