"""User-facing notifications (toasts, banners, system notices)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any, Sequence

from app.websocket_core import (
    UserExecutionContext,
    WebSocketManager,
    get_websocket_manager,
    get_websocket_manager_factory,
)

LEVELS = ("info", "warning", "critical")


@dataclass(frozen=True)
class Notification:
    title: str
    body: str
    level: str = "info"

    def __post_init__(self) -> None:
        if self.level not in LEVELS:
            raise ValueError(f"unknown notification level {self.level!r}")

    def to_message(self) -> dict[str, Any]:
        return {"type": "notification", "title": self.title, "body": self.body, "level": self.level}


class NotificationService:
    def __init__(self, max_concurrency: int = 8) -> None:
        self._throttle = asyncio.Semaphore(max_concurrency)
        self.delivered = 0

    async def manager_for(self, ctx: UserExecutionContext) -> WebSocketManager:
        return await get_websocket_manager(user_context=ctx)

    async def notify_user(self, ctx: UserExecutionContext, notification: Notification) -> int:
        async with self._throttle:
            manager = await get_websocket_manager(ctx)
            count = await manager.send_to_user(ctx.user_id, notification.to_message())
        self.delivered += count
        return count

    async def notify_many(
        self, contexts: Sequence[UserExecutionContext], notification: Notification
    ) -> dict[str, int]:
        message = notification.to_message()
        managers = [await get_websocket_manager(user_context=ctx) for ctx in contexts]
        counts = await asyncio.gather(
            *(manager.send_to_user(ctx.user_id, message) for manager, ctx in zip(managers, contexts))
        )
        self.delivered += sum(counts)
        return {ctx.user_id: count for ctx, count in zip(contexts, counts)}

    async def notify_everyone(self, notification: Notification) -> int:
        """Signed-in users and anonymous status-page subscribers alike."""
        message = notification.to_message()
        factory = await get_websocket_manager_factory()
        shared = await get_websocket_manager()
        total = await shared.broadcast(message)
        for ctx in factory.active_contexts():
            manager = await self.manager_for(ctx)
            total += await manager.broadcast(message)
        self.delivered += total
        return total
