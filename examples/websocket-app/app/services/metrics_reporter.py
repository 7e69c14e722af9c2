"""Connection metrics pushed to each user's sockets.

The WebSocket core is optional for this module: deployments that run the
metrics worker without it get ``get_websocket_manager = None`` and report
nothing. The fallback keeps the import from failing; what the name means
when the core is there does not change.
"""

from __future__ import annotations

from app.websocket_core import UserExecutionContext

try:
    from app.websocket_core.websocket_manager import get_websocket_manager
except ImportError:  # the metrics worker runs without the WebSocket core
    get_websocket_manager = None


async def push_connection_count(ctx: UserExecutionContext) -> int:
    """Tells the user how many of their sockets are open; returns the deliveries."""
    if get_websocket_manager is None:
        return 0
    manager = await get_websocket_manager(user_context=ctx)
    count = manager.connection_count(ctx.user_id)
    return await manager.send_to_user(ctx.user_id, {"type": "metrics", "connections": count})
