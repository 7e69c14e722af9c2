"""Executes agent tools and reports their progress to the user's sockets."""

from __future__ import annotations

import time
from typing import Any, Awaitable, Callable

from app.websocket_core import UserExecutionContext, get_websocket_manager

from .events import TOOL_COMPLETED, TOOL_EXECUTING, TOOL_FAILED, build_event

ToolFn = Callable[..., Awaitable[Any]]


class ToolNotFoundError(LookupError):
    pass


class ToolDispatcher:
    def __init__(self, tools: dict[str, ToolFn] | None = None) -> None:
        self._tools: dict[str, ToolFn] = dict(tools or {})

    def register(self, name: str, tool: ToolFn) -> None:
        if name in self._tools:
            raise ValueError(f"tool {name!r} is already registered")
        self._tools[name] = tool

    @property
    def names(self) -> list[str]:
        return sorted(self._tools)

    async def dispatch(self, ctx: UserExecutionContext, tool_name: str, **arguments: Any) -> Any:
        tool = self._tools.get(tool_name)
        if tool is None:
            manager = await get_websocket_manager(ctx)
            await manager.send_to_user(
                ctx.user_id,
                build_event(TOOL_FAILED, ctx, tool=tool_name, error="unknown tool"),
            )
            raise ToolNotFoundError(tool_name)

        manager = await get_websocket_manager(user_context=ctx)
        await manager.send_to_user(
            ctx.user_id,
            build_event(TOOL_EXECUTING, ctx, tool=tool_name, arguments=arguments),
        )
        started = time.perf_counter()
        result = await tool(**arguments)
        await self._announce_completion(ctx, tool_name, result, time.perf_counter() - started)
        return result

    async def _announce_completion(
        self, ctx: UserExecutionContext, tool_name: str, result: Any, elapsed: float
    ) -> None:
        manager = await get_websocket_manager(
            ctx,
        )
        await manager.send_to_user(
            ctx.user_id,
            build_event(
                TOOL_COMPLETED,
                ctx,
                tool=tool_name,
                result=result,
                duration_ms=round(elapsed * 1000, 3),
            ),
        )
