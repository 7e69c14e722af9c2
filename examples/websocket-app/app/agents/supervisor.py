"""Runs one agent for every member of a shared workspace."""

from __future__ import annotations

import asyncio
from typing import Any, Sequence

from app.websocket_core import UserExecutionContext, WebSocketManager, get_websocket_manager

from .events import build_event
from .execution_engine import AgentExecutionEngine, AgentResult

TEAM_RUN_SCHEDULED = "team_run_scheduled"
TEAM_RUN_SUMMARY = "team_run_summary"


class SupervisorAgent:
    def __init__(self, engine: AgentExecutionEngine) -> None:
        self.engine = engine

    async def run_for_team(
        self,
        contexts: Sequence[UserExecutionContext],
        agent_name: str,
        request: dict[str, Any] | None = None,
    ) -> list[AgentResult]:
        if not contexts:
            return []
        managers = [await get_websocket_manager(ctx) for ctx in contexts]
        for manager, ctx in zip(managers, contexts):
            await manager.send_to_user(
                ctx.user_id,
                build_event(TEAM_RUN_SCHEDULED, ctx, agent=agent_name, members=len(contexts)),
            )

        results = await asyncio.gather(
            *(self.engine.execute(ctx, agent_name, request) for ctx in contexts)
        )
        await self._announce_summary(contexts, results)
        return list(results)

    async def _announce_summary(
        self, contexts: Sequence[UserExecutionContext], results: Sequence[AgentResult]
    ) -> None:
        summary = {
            "members": [result.user_id for result in results],
            "completed": sum(result.status == "completed" for result in results),
        }
        await asyncio.gather(
            *[
                self._send_summary(await get_websocket_manager(user_context=ctx), ctx, summary)
                for ctx in contexts
            ]
        )

    async def _send_summary(
        self, manager: WebSocketManager, ctx: UserExecutionContext, summary: dict[str, Any]
    ) -> int:
        return await manager.send_to_user(ctx.user_id, build_event(TEAM_RUN_SUMMARY, ctx, **summary))

    async def member_status(self, contexts: Sequence[UserExecutionContext]) -> dict[str, bool]:
        status: dict[str, bool] = {}
        for ctx in contexts:
            manager = await get_websocket_manager(ctx)
            status[ctx.user_id] = manager.is_connected(ctx.user_id)
        return status
