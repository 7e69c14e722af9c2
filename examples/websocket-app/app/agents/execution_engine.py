"""Runs agents on behalf of a user and streams their lifecycle events."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable

from app.websocket_core import UserExecutionContext, WebSocketManager, get_websocket_manager

from .events import AGENT_COMPLETED, AGENT_FAILED, AGENT_STARTED, AGENT_THINKING, build_event
from .tool_dispatcher import ToolDispatcher

logger = logging.getLogger(__name__)

AgentFn = Callable[[UserExecutionContext, dict, "AgentRuntime"], Awaitable[dict]]


class UnknownAgentError(LookupError):
    pass


class AgentExecutionError(RuntimeError):
    def __init__(self, agent: str, run_id: str, cause: BaseException) -> None:
        super().__init__(f"agent {agent!r} failed in {run_id}: {cause}")
        self.agent = agent
        self.run_id = run_id


@dataclass
class AgentResult:
    agent: str
    run_id: str
    user_id: str
    output: dict[str, Any] = field(default_factory=dict)
    duration_ms: float = 0.0
    status: str = "completed"


class AgentRuntime:
    """What an agent gets to talk to while it runs."""

    def __init__(self, engine: "AgentExecutionEngine", ctx: UserExecutionContext, agent: str) -> None:
        self._engine = engine
        self.ctx = ctx
        self.agent = agent

    async def think(self, thought: str) -> None:
        await self._engine._notify_thinking(self.ctx, self.agent, thought)

    async def use_tool(self, tool: str, **arguments: Any) -> Any:
        return await self._engine.tools.dispatch(self.ctx, tool, **arguments)


class AgentExecutionEngine:
    def __init__(self, agents: dict[str, AgentFn], tools: ToolDispatcher | None = None) -> None:
        self._agents = dict(agents)
        self.tools = tools or ToolDispatcher()

    @property
    def agent_names(self) -> list[str]:
        return sorted(self._agents)

    async def execute(
        self, ctx: UserExecutionContext, agent_name: str, request: dict[str, Any] | None = None
    ) -> AgentResult:
        agent = self._agents.get(agent_name)
        if agent is None:
            raise UnknownAgentError(agent_name)

        manager = await get_websocket_manager(ctx)
        await manager.send_to_user(ctx.user_id, build_event(AGENT_STARTED, ctx, agent=agent_name))

        started = time.perf_counter()
        try:
            output = await agent(ctx, dict(request or {}), AgentRuntime(self, ctx, agent_name))
        except Exception as exc:
            logger.warning("agent %s failed for %s: %s", agent_name, ctx.user_id, exc)
            await self._notify_failure(ctx, agent_name, exc)
            raise AgentExecutionError(agent_name, ctx.run_id, exc) from exc

        result = AgentResult(
            agent=agent_name,
            run_id=ctx.run_id,
            user_id=ctx.user_id,
            output=output,
            duration_ms=round((time.perf_counter() - started) * 1000, 3),
        )
        await self._notify_completed(ctx, result)
        return result

    async def _manager_for(self, ctx: UserExecutionContext) -> WebSocketManager:
        return await get_websocket_manager(user_context=ctx)

    async def _notify_thinking(self, ctx: UserExecutionContext, agent: str, thought: str) -> None:
        manager = await get_websocket_manager(user_context=ctx)
        await manager.send_to_user(
            ctx.user_id, build_event(AGENT_THINKING, ctx, agent=agent, thought=thought)
        )

    async def _notify_failure(self, ctx: UserExecutionContext, agent: str, exc: Exception) -> None:
        manager = await get_websocket_manager(
            user_context=ctx,
        )
        await manager.send_to_user(
            ctx.user_id,
            build_event(AGENT_FAILED, ctx, agent=agent, error=type(exc).__name__, message=str(exc)),
        )

    async def _notify_completed(self, ctx: UserExecutionContext, result: AgentResult) -> None:
        manager = await self._manager_for(ctx)
        await manager.send_to_user(
            ctx.user_id,
            build_event(
                AGENT_COMPLETED,
                ctx,
                agent=result.agent,
                output=result.output,
                duration_ms=result.duration_ms,
            ),
        )
