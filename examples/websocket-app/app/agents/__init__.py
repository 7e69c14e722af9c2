"""Agent execution: engine, tool dispatch and the built-in agents."""

from .execution_engine import (
    AgentExecutionEngine,
    AgentExecutionError,
    AgentResult,
    AgentRuntime,
    UnknownAgentError,
)
from .tool_dispatcher import ToolDispatcher, ToolNotFoundError

__all__ = [
    "AgentExecutionEngine",
    "AgentExecutionError",
    "AgentResult",
    "AgentRuntime",
    "ToolDispatcher",
    "ToolNotFoundError",
    "UnknownAgentError",
]
