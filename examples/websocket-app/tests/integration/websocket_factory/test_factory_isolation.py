"""Per-user isolation guarantees of the manager registry."""

from app.routes.admin import list_connections, send_admin_notice
from app.services.notification_service import Notification, NotificationService
from app.websocket_core import (
    get_websocket_manager,
    get_websocket_manager_async,
    get_websocket_manager_factory,
)


async def test_contexts_of_one_user_share_a_manager(alice_ctx):
    first = await get_websocket_manager(alice_ctx)
    second = await get_websocket_manager(user_context=alice_ctx.for_run())

    assert first is second
    assert first.scope == alice_ctx.user_id


async def test_each_user_gets_a_separate_manager(alice_ctx, bob_ctx):
    managers = [await get_websocket_manager(ctx) for ctx in (alice_ctx, bob_ctx)]

    assert managers[0] is not managers[1]
    assert [m.scope for m in managers] == ["user-alice", "user-bob"]


async def test_default_manager_is_shared_and_unscoped():
    manager = await get_websocket_manager()

    assert manager.user_context is None
    assert manager.scope == "shared"
    assert manager is await get_websocket_manager_async()


async def test_factory_lists_registered_users(alice_ctx, bob_ctx, connect_client):
    await connect_client(alice_ctx)
    await connect_client(bob_ctx, "bob-phone")
    await connect_client(bob_ctx, "bob-laptop")

    factory = await get_websocket_manager_factory()
    rows = await list_connections()

    assert {ctx.user_id for ctx in factory.active_contexts()} == {"user-alice", "user-bob"}
    assert factory.total_connections() == 3
    assert [(row["user_id"], row["connections"]) for row in rows] == [("user-alice", 1), ("user-bob", 2)]


async def test_admin_notice_reaches_each_user_once(alice_ctx, bob_ctx, connect_client):
    alice = await connect_client(alice_ctx)
    bob = await connect_client(bob_ctx)

    counts = await send_admin_notice([alice_ctx, bob_ctx], "rolling restart at 02:00")

    assert counts == {"user-alice": 1, "user-bob": 1}
    assert alice.messages() == bob.messages() == [{"type": "admin_notice", "text": "rolling restart at 02:00"}]


async def test_notify_many_does_not_cross_users(alice_ctx, bob_ctx, connect_client):
    alice = await connect_client(alice_ctx)
    service = NotificationService()

    counts = await service.notify_many([alice_ctx, bob_ctx], Notification("Invoice", "ready"))
    await service.notify_user(bob_ctx, Notification("Private", "for bob only", level="warning"))

    assert counts == {"user-alice": 1, "user-bob": 0}
    assert [m["title"] for m in alice.messages()] == ["Invoice"]
    assert service.delivered == 1
    bob_manager = await get_websocket_manager(bob_ctx)
    assert bob_manager.messages_sent == 0
