from app.services.presence import PresenceTracker, announce, is_online


async def test_presence_follows_connections(alice_ctx, connect_client):
    assert not await is_online(alice_ctx)
    await connect_client(alice_ctx)
    assert await is_online(alice_ctx)


async def test_announce_reaches_the_users_sockets(alice_ctx, connect_client):
    transport = await connect_client(alice_ctx)
    assert await announce(alice_ctx, "away") == 1
    assert transport.messages() == [{"type": "presence", "status": "away"}]


async def test_tracker_awaits_its_own_lookup(alice_ctx, connect_client):
    tracker = PresenceTracker(alice_ctx)
    await connect_client(alice_ctx)
    assert await tracker.online()
    assert tracker.lookups == 1
