"""Closes sockets that belong to expired or idle sessions."""

from __future__ import annotations

import asyncio
import time
from typing import Callable, Iterable

from app.websocket_core import (
    UserExecutionContext,
    get_websocket_manager,
    get_websocket_manager_async,
    release_websocket_manager,
)

CLOSE_SESSION_EXPIRED = 4000
CLOSE_IDLE = 4008


class SessionCleanupService:
    def __init__(self, idle_timeout: float = 900.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.idle_timeout = idle_timeout
        self._clock = clock
        self._lock = asyncio.Lock()
        self.closed_connections = 0

    async def expire_session(self, ctx: UserExecutionContext, reason: str = "session_expired") -> int:
        """Tell the user, close every socket and forget the user's manager."""
        async with self._lock:
            manager = await get_websocket_manager(ctx)
            if manager.is_connected(ctx.user_id):
                await manager.send_to_user(ctx.user_id, {"type": "session_expired", "reason": reason})
            closed = await manager.disconnect_user(ctx.user_id, code=CLOSE_SESSION_EXPIRED)
            release_websocket_manager(ctx.user_id)
        self.closed_connections += closed
        return closed

    async def close_idle(self, ctx: UserExecutionContext) -> int:
        """Close the user's connections that are older than ``idle_timeout``."""
        now = self._clock()
        manager = await get_websocket_manager(user_context=ctx)
        closed = 0
        for connection in manager.connections(ctx.user_id):
            if now - connection.connected_at >= self.idle_timeout:
                closed += await manager.disconnect(ctx.user_id, connection.connection_id, CLOSE_IDLE)
        self.closed_connections += closed
        return closed

    async def sweep(self, contexts: Iterable[UserExecutionContext]) -> dict[str, int]:
        """Drop dead sockets; report how many live connections each user keeps."""
        remaining: dict[str, int] = {}
        for ctx in contexts:
            manager = await get_websocket_manager_async(ctx)
            remaining[ctx.user_id] = manager.connection_count(ctx.user_id)
        return remaining
