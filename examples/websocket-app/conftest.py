"""Shared test configuration.

``async def`` tests are run on a fresh event loop with :func:`asyncio.run`,
so the suite needs nothing beyond pytest itself.
"""

from __future__ import annotations

import asyncio
import inspect

import pytest

from app.websocket_core import (
    InMemoryTransport,
    UserExecutionContext,
    get_websocket_manager_async,
    reset_websocket_managers,
)


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    test_function = pyfuncitem.obj
    if not inspect.iscoroutinefunction(test_function):
        return None  # let pytest call ordinary tests
    arguments = {
        name: pyfuncitem.funcargs[name]
        for name in inspect.signature(test_function).parameters
        if name in pyfuncitem.funcargs
    }
    asyncio.run(test_function(**arguments))
    return True


@pytest.fixture(autouse=True)
def _fresh_manager_registry():
    reset_websocket_managers()
    yield
    reset_websocket_managers()


@pytest.fixture
def alice_ctx() -> UserExecutionContext:
    return UserExecutionContext(user_id="user-alice", thread_id="thread-a")


@pytest.fixture
def bob_ctx() -> UserExecutionContext:
    return UserExecutionContext(user_id="user-bob", thread_id="thread-b")


@pytest.fixture
def connect_client():
    """Return a coroutine function that attaches a loopback client for a user."""

    async def _connect(ctx: UserExecutionContext, name: str | None = None) -> InMemoryTransport:
        transport = InMemoryTransport(name or f"client-{ctx.user_id}")
        manager = await get_websocket_manager_async(ctx)
        await manager.connect(ctx.user_id, transport)
        return transport

    return _connect
