"""Who is online: presence built on each user's WebSocket manager.

This module reaches the factory the other ways Python allows: through an aliased
relative import and through a module attribute. ``PresenceTracker`` also has a
coroutine of its own named ``get_websocket_manager``, which is awaited rightly.
"""

from __future__ import annotations

import app.websocket_core.websocket_manager as wm
from app.websocket_core import UserExecutionContext, WebSocketManager

from ..websocket_core.websocket_manager import get_websocket_manager as manager_for


async def is_online(ctx: UserExecutionContext) -> bool:
    manager = await manager_for(ctx)
    return manager.is_connected(ctx.user_id)


async def announce(ctx: UserExecutionContext, status: str) -> int:
    manager = await wm.get_websocket_manager(
        user_context=ctx,
    )
    return await manager.send_to_user(ctx.user_id, {"type": "presence", "status": status})


class PresenceTracker:
    """Follows one user's presence, looking the manager up with stale sockets pruned."""

    def __init__(self, ctx: UserExecutionContext) -> None:
        self.ctx = ctx
        self.lookups = 0

    async def get_websocket_manager(self) -> WebSocketManager:
        self.lookups += 1
        return await wm.get_websocket_manager_async(self.ctx)

    async def online(self) -> bool:
        manager = await self.get_websocket_manager()
        return manager.is_connected(self.ctx.user_id)
