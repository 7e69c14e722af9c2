"""End-to-end: socket in, agent events out."""

import asyncio

from app.agents.builtin import default_engine
from app.agents.supervisor import SupervisorAgent
from app.routes.websocket_route import heartbeat, status_stream_endpoint, websocket_endpoint
from app.services.event_bridge import AgentEventBridge
from app.services.message_router import MessageRouter
from app.services.notification_service import Notification, NotificationService
from app.websocket_core import InMemoryTransport, get_websocket_manager


async def _frames(*frames):
    for frame in frames:
        yield frame


async def test_full_socket_session(alice_ctx):
    transport = InMemoryTransport("browser")
    router = MessageRouter(engine=default_engine())

    await websocket_endpoint(
        alice_ctx,
        transport,
        _frames(
            '{"type": "ping", "nonce": "n-1"}',
            '{"type": "user_message", "text": "my parcel?"}',
            '{"type": "start_agent", "agent": "triage", "request": {"order_id": "A-1002"}}',
            '{"type": "start_agent", "agent": "astrologer"}',
        ),
        router,
    )

    assert transport.types() == [
        "connection_established",
        "pong",
        "message_received",
        "agent_queued",
        "agent_started",
        "agent_thinking",
        "tool_executing",
        "tool_completed",
        "agent_completed",
        "agent_queued",
        "error",
    ]
    assert transport.messages()[8]["data"]["output"]["answer"] == "Order A-1002 is processing."
    assert transport.closed
    manager = await get_websocket_manager(alice_ctx)
    assert manager.connection_count() == 0


async def test_team_run_informs_every_member(alice_ctx, bob_ctx, connect_client):
    alice = await connect_client(alice_ctx)
    bob = await connect_client(bob_ctx)
    supervisor = SupervisorAgent(default_engine())

    results = await supervisor.run_for_team([alice_ctx, bob_ctx], "triage", {"order_id": "A-1001"})

    assert [r.user_id for r in results] == ["user-alice", "user-bob"]
    for client in (alice, bob):
        assert client.types()[0] == "team_run_scheduled"
        assert client.types()[-1] == "team_run_summary"
        assert client.messages()[-1]["data"] == {"members": ["user-alice", "user-bob"], "completed": 2}
    assert await supervisor.member_status([alice_ctx, bob_ctx]) == {"user-alice": True, "user-bob": True}


async def test_event_bridge_only_forwards_to_connected_users(alice_ctx, bob_ctx, connect_client):
    alice = await connect_client(alice_ctx)
    bridge = AgentEventBridge()

    assert await bridge.publish(alice_ctx, {"type": "doc_indexed", "pages": 3}) is True
    assert await bridge.publish_batch(bob_ctx, [{"type": "a"}, {"type": "b"}]) == 0
    assert await heartbeat(alice_ctx) is True

    bob_manager = await get_websocket_manager(
        user_context=bob_ctx,
    )
    assert alice.types() == ["doc_indexed", "heartbeat"]
    assert (bridge.forwarded, bridge.dropped) == (1, 2)
    assert not bob_manager.is_connected(bob_ctx.user_id)


async def test_system_notice_reaches_users_and_status_subscribers(alice_ctx, connect_client):
    alice = await connect_client(alice_ctx)
    subscriber = InMemoryTransport("status-page")
    leave = asyncio.Event()

    async def idle_frames():
        await leave.wait()
        return
        yield  # pragma: no cover - makes this an async generator

    async def publish():
        try:
            for _ in range(5):  # let the subscriber register first
                await asyncio.sleep(0)
            return await NotificationService().notify_everyone(
                Notification("Degraded performance", "search is slow", level="warning")
            )
        finally:
            leave.set()

    subscriber_id, delivered = await asyncio.gather(
        status_stream_endpoint(subscriber, idle_frames()), publish()
    )

    assert subscriber_id.startswith("anon-")
    assert delivered == 2
    assert alice.types() == subscriber.types() == ["notification"]
    assert subscriber.closed
