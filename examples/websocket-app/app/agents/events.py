"""Names and shape of the agent lifecycle events streamed to clients."""

from __future__ import annotations

from typing import Any

from app.websocket_core import UserExecutionContext

AGENT_STARTED = "agent_started"
AGENT_THINKING = "agent_thinking"
TOOL_EXECUTING = "tool_executing"
TOOL_COMPLETED = "tool_completed"
TOOL_FAILED = "tool_failed"
AGENT_COMPLETED = "agent_completed"
AGENT_FAILED = "agent_failed"

#: The order a client sees for a successful run that uses exactly one tool.
GOLDEN_PATH = (AGENT_STARTED, AGENT_THINKING, TOOL_EXECUTING, TOOL_COMPLETED, AGENT_COMPLETED)


def build_event(event_type: str, ctx: UserExecutionContext, **data: Any) -> dict[str, Any]:
    return {
        "type": event_type,
        "run_id": ctx.run_id,
        "thread_id": ctx.thread_id,
        "data": data,
    }
