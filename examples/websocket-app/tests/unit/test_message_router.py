import json

from app.services.message_router import MAX_MESSAGE_CHARS, MessageRouter
from app.websocket_core import get_websocket_manager


def test_router_knows_the_core_message_types():
    assert MessageRouter().supported_types == ["ping", "start_agent", "user_message"]


async def test_ping_is_answered_with_pong(alice_ctx, connect_client):
    client = await connect_client(alice_ctx)

    handled = await MessageRouter().dispatch(alice_ctx, json.dumps({"type": "ping", "nonce": 7}))

    assert handled is True
    assert client.messages() == [{"type": "pong", "nonce": 7}]


async def test_malformed_and_unknown_frames_are_rejected(alice_ctx, connect_client):
    client = await connect_client(alice_ctx)
    router = MessageRouter()

    assert await router.dispatch(alice_ctx, "{not json") is False
    assert await router.dispatch(alice_ctx, "[1, 2]") is False
    assert await router.dispatch(alice_ctx, {"type": "teleport"}) is False

    codes = [message["code"] for message in client.messages()]
    assert codes == ["invalid_json", "invalid_frame", "unknown_type"]


async def test_oversized_message_is_refused(alice_ctx, connect_client):
    client = await connect_client(alice_ctx)

    await MessageRouter().dispatch(alice_ctx, {"type": "user_message", "text": "x" * (MAX_MESSAGE_CHARS + 1)})

    assert client.messages()[0]["code"] == "message_too_large"


async def test_replies_go_only_to_the_sender(alice_ctx, bob_ctx, connect_client):
    alice = await connect_client(alice_ctx)
    bob = await connect_client(bob_ctx)

    await MessageRouter().dispatch(alice_ctx, {"type": "user_message", "text": "hello"})

    bob_manager = await get_websocket_manager(bob_ctx)
    assert alice.types() == ["message_received"]
    assert bob.sent == []
    assert bob_manager.messages_sent == 0
