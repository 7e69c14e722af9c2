"""Agents and tools that ship with the service."""

from __future__ import annotations

import asyncio
from typing import Any

from app.websocket_core import UserExecutionContext

from .execution_engine import AgentExecutionEngine, AgentRuntime
from .tool_dispatcher import ToolDispatcher

_ORDERS = {
    "A-1001": {"status": "shipped", "carrier": "DHL", "eta_days": 2},
    "A-1002": {"status": "processing", "carrier": None, "eta_days": 5},
}


async def lookup_order(order_id: str) -> dict[str, Any]:
    await asyncio.sleep(0)
    order = _ORDERS.get(order_id)
    if order is None:
        return {"order_id": order_id, "found": False}
    return {"order_id": order_id, "found": True, **order}


async def triage_agent(
    ctx: UserExecutionContext, request: dict[str, Any], runtime: AgentRuntime
) -> dict[str, Any]:
    text = str(request.get("text", ""))
    await runtime.think(f"classifying a {len(text)}-character request")
    order_id = request.get("order_id")
    if order_id:
        order = await runtime.use_tool("lookup_order", order_id=order_id)
        if order["found"]:
            answer = f"Order {order_id} is {order['status']}."
        else:
            answer = f"No order {order_id} on record."
        return {"category": "order_status", "answer": answer}
    return {"category": "general", "answer": "A support engineer will follow up."}


def default_tools() -> ToolDispatcher:
    return ToolDispatcher({"lookup_order": lookup_order})


def default_engine() -> AgentExecutionEngine:
    return AgentExecutionEngine({"triage": triage_agent}, tools=default_tools())
