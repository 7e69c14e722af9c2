import inspect

import pytest

from app.websocket_core import (
    InMemoryTransport,
    UserExecutionContext,
    WebSocketIsolationError,
    get_websocket_manager,
    get_websocket_manager_async,
)


def test_factory_returns_a_manager_not_an_awaitable(alice_ctx):
    manager = get_websocket_manager(alice_ctx)
    assert not inspect.isawaitable(manager), (
        "get_websocket_manager() is synchronous - do not use await get_websocket_manager() here"
    )
    assert not inspect.iscoroutinefunction(get_websocket_manager)
    assert inspect.iscoroutinefunction(get_websocket_manager_async)


async def test_awaiting_the_factory_is_a_type_error(alice_ctx):
    # The defect this suite guards against, kept on purpose: awaiting a manager fails.
    with pytest.raises(TypeError):
        await get_websocket_manager(alice_ctx)


def test_context_requires_a_user_id():
    with pytest.raises(ValueError):
        UserExecutionContext(user_id="  ")
    ctx = UserExecutionContext(user_id="u1", thread_id="t1")
    rerun = ctx.for_run()
    assert rerun.user_id == "u1" and rerun.thread_id == "t1"
    assert rerun.run_id != ctx.run_id


async def test_send_to_user_reaches_every_socket_of_that_user(alice_ctx):
    manager = await get_websocket_manager(alice_ctx)
    laptop, phone = InMemoryTransport("laptop"), InMemoryTransport("phone")
    await manager.connect(alice_ctx.user_id, laptop)
    await manager.connect(alice_ctx.user_id, phone)

    delivered = await manager.send_to_user(alice_ctx.user_id, {"type": "hello", "n": 1})

    assert delivered == 2
    assert laptop.messages() == phone.messages() == [{"type": "hello", "n": 1}]
    assert manager.stats()["messages_sent"] == 2


async def test_user_scoped_manager_refuses_other_users(alice_ctx, bob_ctx):
    manager = await get_websocket_manager(user_context=alice_ctx)
    with pytest.raises(WebSocketIsolationError):
        await manager.send_to_user(bob_ctx.user_id, {"type": "leak"})
    with pytest.raises(WebSocketIsolationError):
        await manager.connect(bob_ctx.user_id, InMemoryTransport())


async def test_shared_manager_broadcast_skips_closed_sockets():
    manager = await get_websocket_manager()
    alive, dead = InMemoryTransport("alive"), InMemoryTransport("dead")
    await manager.connect("anon-1", alive)
    await manager.connect("anon-2", dead)
    await dead.close()

    delivered = await manager.broadcast({"type": "status", "state": "ok"})

    assert manager.scope == "shared"
    assert delivered == 1
    assert manager.failed_sends == 1
    assert alive.types() == ["status"]


async def test_async_lookup_prunes_closed_connections(alice_ctx, connect_client):
    transport = await connect_client(alice_ctx)
    await transport.close()

    manager = await get_websocket_manager_async(alice_ctx)

    assert manager.connection_count(alice_ctx.user_id) == 0
    assert not manager.is_connected(alice_ctx.user_id)
