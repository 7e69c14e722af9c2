"""Socket endpoints.

The handlers are framework-agnostic: the HTTP layer accepts the upgrade,
wraps the socket in something that satisfies ``WebSocketTransport`` and
hands us an async iterator over the text frames the client sends.
"""

from __future__ import annotations

import logging
import uuid
from typing import AsyncIterable

from app.services.message_router import MessageRouter
from app.websocket_core import (
    UserExecutionContext,
    get_websocket_manager,
    get_websocket_manager_async,
)
from app.websocket_core.connection import WebSocketTransport

logger = logging.getLogger(__name__)


async def websocket_endpoint(
    ctx: UserExecutionContext,
    transport: WebSocketTransport,
    incoming: AsyncIterable[str],
    router: MessageRouter,
) -> str:
    """Serve an authenticated socket until the client stops sending."""
    # A reconnecting client may still have a dead socket registered.
    manager = await get_websocket_manager_async(ctx)
    connection_id = await manager.connect(ctx.user_id, transport)
    await send_welcome(ctx, connection_id)
    try:
        async for frame in incoming:
            await router.dispatch(ctx, frame)
    finally:
        await handle_disconnect(ctx, connection_id)
    return connection_id


async def send_welcome(ctx: UserExecutionContext, connection_id: str) -> None:
    manager = await get_websocket_manager(ctx)
    await manager.send_to_user(
        ctx.user_id,
        {
            "type": "connection_established",
            "connection_id": connection_id,
            "user_id": ctx.user_id,
            "thread_id": ctx.thread_id,
        },
    )


async def handle_disconnect(ctx: UserExecutionContext, connection_id: str, code: int = 1000) -> bool:
    manager = await  get_websocket_manager(user_context=ctx)
    removed = await manager.disconnect(ctx.user_id, connection_id, code)
    if not removed:
        logger.debug("connection %s of %s was already gone", connection_id, ctx.user_id)
    return removed


async def heartbeat(ctx: UserExecutionContext) -> bool:
    manager = await get_websocket_manager(ctx)
    if not manager.is_connected(ctx.user_id):
        return False
    return await manager.send_to_user(ctx.user_id, {"type": "heartbeat"}) > 0


async def status_stream_endpoint(transport: WebSocketTransport, incoming: AsyncIterable[str]) -> str:
    """Public status-page stream. Subscribers are anonymous, so they live on
    the shared manager instead of a per-user one."""
    manager = await get_websocket_manager()
    subscriber_id = f"anon-{uuid.uuid4().hex[:10]}"
    connection_id = await manager.connect(subscriber_id, transport)
    try:
        async for _frame in incoming:
            pass  # server-to-client only; frames are ignored
    finally:
        await manager.disconnect(subscriber_id, connection_id)
    return subscriber_id
