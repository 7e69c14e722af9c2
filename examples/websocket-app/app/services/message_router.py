"""Routes inbound client frames to handlers."""

from __future__ import annotations

import json
import logging
from typing import Any, Awaitable, Callable

from app.agents import AgentExecutionEngine, AgentExecutionError, UnknownAgentError
from app.websocket_core import UserExecutionContext, get_websocket_manager

logger = logging.getLogger(__name__)

Handler = Callable[[UserExecutionContext, dict[str, Any]], Awaitable[None]]

MAX_MESSAGE_CHARS = 16_000


class MessageRouter:
    def __init__(self, engine: AgentExecutionEngine | None = None) -> None:
        self.engine = engine
        self._handlers: dict[str, Handler] = {
            "ping": self._handle_ping,
            "user_message": self._handle_user_message,
            "start_agent": self._handle_start_agent,
        }

    @property
    def supported_types(self) -> list[str]:
        return sorted(self._handlers)

    def register(self, message_type: str, handler: Handler) -> None:
        self._handlers[message_type] = handler

    async def dispatch(self, ctx: UserExecutionContext, raw: str | bytes | dict[str, Any]) -> bool:
        """Handle one client frame; returns False if the frame was rejected."""
        try:
            message = raw if isinstance(raw, dict) else json.loads(raw)
        except (TypeError, ValueError):
            await self._send_error(ctx, "invalid_json", "frame is not valid JSON")
            return False
        if not isinstance(message, dict):
            await self._send_error(ctx, "invalid_frame", "frame must be a JSON object")
            return False

        message_type = message.get("type")
        handler = self._handlers.get(message_type)
        if handler is None:
            await self._send_error(ctx, "unknown_type", f"unsupported message type {message_type!r}")
            return False
        await handler(ctx, message)
        return True

    async def _handle_ping(self, ctx: UserExecutionContext, message: dict[str, Any]) -> None:
        manager = await get_websocket_manager(ctx)
        await manager.send_to_user(ctx.user_id, {"type": "pong", "nonce": message.get("nonce")})

    async def _handle_user_message(self, ctx: UserExecutionContext, message: dict[str, Any]) -> None:
        text = str(message.get("text", ""))
        if len(text) > MAX_MESSAGE_CHARS:
            await self._send_error(ctx, "message_too_large", f"limit is {MAX_MESSAGE_CHARS} characters")
            return
        manager = await get_websocket_manager(user_context=ctx)
        await manager.send_to_user(
            ctx.user_id,
            {"type": "message_received", "thread_id": ctx.thread_id, "length": len(text)},
        )

    async def _handle_start_agent(self, ctx: UserExecutionContext, message: dict[str, Any]) -> None:
        if self.engine is None:
            await self._send_error(ctx, "agents_disabled", "this server does not run agents")
            return
        agent_name = str(message.get("agent", "triage"))
        run_ctx = ctx.for_run()
        manager = await get_websocket_manager(run_ctx)
        await manager.send_to_user(
            ctx.user_id, {"type": "agent_queued", "agent": agent_name, "run_id": run_ctx.run_id}
        )
        try:
            await self.engine.execute(run_ctx, agent_name, message.get("request") or {})
        except UnknownAgentError:
            await self._send_error(ctx, "unknown_agent", f"no agent named {agent_name!r}")
        except AgentExecutionError as exc:
            # The engine has already sent agent_failed to the client.
            logger.info("run %s ended with an error: %s", exc.run_id, exc)

    async def _send_error(self, ctx: UserExecutionContext, code: str, detail: str) -> None:
        manager = await get_websocket_manager(
            user_context=ctx
        )
        await manager.send_to_user(ctx.user_id, {"type": "error", "code": code, "detail": detail})
