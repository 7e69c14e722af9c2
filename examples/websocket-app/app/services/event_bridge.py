"""Forwards events from the internal event bus to connected clients."""

from __future__ import annotations

from typing import Any, Iterable

from app.websocket_core import UserExecutionContext, get_websocket_manager


class AgentEventBridge:
    def __init__(self) -> None:
        self.forwarded = 0
        self.dropped = 0

    async def publish(self, ctx: UserExecutionContext, event: dict[str, Any]) -> bool:
        manager = await get_websocket_manager(ctx)
        if not manager.is_connected(ctx.user_id):
            self.dropped += 1
            return False
        delivered = await manager.send_to_user(ctx.user_id, event)
        self.forwarded += bool(delivered)
        return delivered > 0

    async def publish_batch(self, ctx: UserExecutionContext, events: Iterable[dict[str, Any]]) -> int:
        batch = list(events)
        manager = await get_websocket_manager(user_context=ctx)
        if not manager.is_connected(ctx.user_id):
            self.dropped += len(batch)
            return 0
        sent = 0
        for event in batch:
            sent += bool(await manager.send_to_user(ctx.user_id, event))
        self.forwarded += sent
        return sent
