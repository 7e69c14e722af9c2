"""Reproductions of the awaited-factory defect, kept on purpose: each awaits the
synchronous factory and checks the error users saw, so a change to the error (or
to the factory) shows here first. The status route and the metrics and plugin
tests exercise the code paths themselves."""

from __future__ import annotations

import asyncio

import pytest

from app.agents.plugin_loader import notify_plugin_loaded
from app.routes.status import status
from app.services.metrics_reporter import push_connection_count
from app.websocket_core import InMemoryTransport, UserExecutionContext
from app.websocket_core.websocket_manager import get_websocket_manager


async def test_the_error_names_the_manager(alice_ctx):
    with pytest.raises(TypeError) as exc_info:
        await get_websocket_manager(alice_ctx)
    assert "WebSocketManager" in str(exc_info.value)


async def test_a_handled_await_reports_the_same_error(alice_ctx):
    error = None
    try:
        await get_websocket_manager(alice_ctx)
    except TypeError as exc:
        error = exc
    assert error is not None and "await" in str(error)


async def test_a_gathered_await_returns_the_error(alice_ctx):
    async def awaits_the_factory():
        # BUG: awaiting non-coroutine (the reproduction users reported from gather())
        return await get_websocket_manager(alice_ctx)

    [outcome] = await asyncio.gather(awaits_the_factory(), return_exceptions=True)
    assert isinstance(outcome, TypeError)


async def test_a_context_without_a_user_is_refused(alice_ctx):
    with pytest.raises(ValueError):
        manager = await get_websocket_manager(alice_ctx)
        await manager.connect(UserExecutionContext(user_id="").user_id, InMemoryTransport())


async def test_status_counts_the_users_sockets(alice_ctx, connect_client):
    await connect_client(alice_ctx)
    assert await status(alice_ctx) == {"user": alice_ctx.user_id, "connected": True, "sockets": 1}


async def test_metrics_reach_the_users_sockets(alice_ctx, connect_client):
    transport = await connect_client(alice_ctx)
    assert await push_connection_count(alice_ctx) == 1
    assert transport.messages() == [{"type": "metrics", "connections": 1}]


async def test_a_loaded_plugin_is_announced(alice_ctx, connect_client):
    transport = await connect_client(alice_ctx)
    assert await notify_plugin_loaded(alice_ctx, "search") == 1
    assert transport.messages() == [{"type": "plugin_loaded", "plugin": "search"}]
