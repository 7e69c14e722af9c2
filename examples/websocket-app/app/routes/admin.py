"""Operator endpoints: inspect connections, message or disconnect users."""

from __future__ import annotations

from typing import Any, Sequence

from app.websocket_core import (
    UserExecutionContext,
    get_websocket_manager,
    get_websocket_manager_factory,
)

CLOSE_KICKED = 4001


async def list_connections() -> list[dict[str, Any]]:
    factory = await get_websocket_manager_factory()
    return [
        {"user_id": user_id, **manager.stats()}
        for user_id, manager in sorted(factory.managers().items())
    ]


async def kick_user(ctx: UserExecutionContext, reason: str) -> int:
    manager = await get_websocket_manager(ctx)
    await manager.send_to_user(ctx.user_id, {"type": "session_terminated", "reason": reason})
    return await manager.disconnect_user(ctx.user_id, code=CLOSE_KICKED)


async def send_admin_notice(contexts: Sequence[UserExecutionContext], text: str) -> dict[str, int]:
    managers = {ctx.user_id: await get_websocket_manager(ctx) for ctx in contexts}
    message = {"type": "admin_notice", "text": text}
    return {
        user_id: await manager.send_to_user(user_id, message)
        for user_id, manager in managers.items()
    }
