"""The event stream a user sees while an agent runs."""

import pytest

from app.agents import AgentExecutionEngine, AgentExecutionError, ToolNotFoundError
from app.agents.builtin import default_engine, default_tools
from app.agents.events import AGENT_FAILED, AGENT_STARTED, GOLDEN_PATH, TOOL_FAILED
from app.websocket_core import get_websocket_manager


async def test_engine_emits_the_golden_path_in_order(alice_ctx, connect_client):
    client = await connect_client(alice_ctx)

    result = await default_engine().execute(alice_ctx, "triage", {"text": "where is it?", "order_id": "A-1001"})

    assert client.types() == list(GOLDEN_PATH)
    assert result.output == {"category": "order_status", "answer": "Order A-1001 is shipped."}
    assert {m["run_id"] for m in client.messages()} == {alice_ctx.run_id}


async def test_tool_events_describe_the_call(alice_ctx, connect_client):
    client = await connect_client(alice_ctx)

    await default_engine().execute(alice_ctx, "triage", {"order_id": "Z-9"})

    executing, completed = [m for m in client.messages() if m["type"].startswith("tool_")]
    assert executing["data"] == {"tool": "lookup_order", "arguments": {"order_id": "Z-9"}}
    assert completed["data"]["result"] == {"order_id": "Z-9", "found": False}


async def test_failing_agent_reports_agent_failed(alice_ctx, connect_client):
    async def broken_agent(ctx, request, runtime):
        await runtime.think("about to fail")
        raise RuntimeError("upstream model timed out")

    client = await connect_client(alice_ctx)
    engine = AgentExecutionEngine({"broken": broken_agent})

    with pytest.raises(AgentExecutionError):
        await engine.execute(alice_ctx, "broken")

    failure = client.messages()[-1]
    assert client.types()[0] == AGENT_STARTED
    assert failure["type"] == AGENT_FAILED
    assert failure["data"]["message"] == "upstream model timed out"


async def test_unknown_tool_is_reported_before_raising(alice_ctx, connect_client):
    client = await connect_client(alice_ctx)

    with pytest.raises(ToolNotFoundError):
        await default_tools().dispatch(alice_ctx, "delete_everything")

    assert client.types() == [TOOL_FAILED]
    manager = await get_websocket_manager(alice_ctx)
    assert manager.messages_sent == 1


async def test_agent_events_stay_with_their_user(alice_ctx, bob_ctx, connect_client):
    alice = await connect_client(alice_ctx)
    bob = await connect_client(bob_ctx)

    await default_engine().execute(alice_ctx, "triage", {"text": "hi"})

    bob_manager = await get_websocket_manager(user_context=bob_ctx)
    assert alice.types()[-1] == "agent_completed"
    assert bob.sent == [] and bob_manager.messages_sent == 0
