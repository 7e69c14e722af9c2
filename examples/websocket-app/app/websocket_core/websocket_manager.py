"""WebSocket connection manager and the per-user manager registry.

One :class:`WebSocketManager` exists per user (plus one shared manager for
system-wide traffic). Isolation matters: a manager created for one user must
never deliver a message to another user's sockets.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import uuid
from typing import Any, Iterable

from .connection import ConnectionClosedError, WebSocketConnection, WebSocketTransport
from .context import UserExecutionContext

logger = logging.getLogger(__name__)


class WebSocketIsolationError(PermissionError):
    """A user-scoped manager was asked to address a different user."""


class WebSocketManager:
    """Tracks open sockets per user and delivers JSON messages to them."""

    def __init__(self, user_context: UserExecutionContext | None = None) -> None:
        self.user_context = user_context
        self._connections: dict[str, dict[str, WebSocketConnection]] = {}
        self._lock = asyncio.Lock()
        self.messages_sent = 0
        self.failed_sends = 0

    # -- introspection -------------------------------------------------
    @property
    def scope(self) -> str:
        return self.user_context.user_id if self.user_context else "shared"

    def connected_users(self) -> list[str]:
        return sorted(user for user, conns in self._connections.items() if conns)

    def connection_count(self, user_id: str | None = None) -> int:
        if user_id is not None:
            return len(self._connections.get(user_id, {}))
        return sum(len(conns) for conns in self._connections.values())

    def connections(self, user_id: str) -> list[WebSocketConnection]:
        return list(self._connections.get(user_id, {}).values())

    def is_connected(self, user_id: str) -> bool:
        return self.connection_count(user_id) > 0

    def stats(self) -> dict[str, Any]:
        return {
            "scope": self.scope,
            "users": len(self.connected_users()),
            "connections": self.connection_count(),
            "messages_sent": self.messages_sent,
            "failed_sends": self.failed_sends,
        }

    def __repr__(self) -> str:
        return f"<WebSocketManager scope={self.scope} connections={self.connection_count()}>"

    # -- connection lifecycle ------------------------------------------
    def _check_scope(self, user_id: str) -> None:
        if self.user_context is not None and user_id != self.user_context.user_id:
            raise WebSocketIsolationError(
                f"manager scoped to {self.user_context.user_id!r} cannot address {user_id!r}"
            )

    async def connect(
        self,
        user_id: str,
        transport: WebSocketTransport,
        connection_id: str | None = None,
    ) -> str:
        self._check_scope(user_id)
        connection_id = connection_id or f"conn-{uuid.uuid4().hex[:8]}"
        async with self._lock:
            self._connections.setdefault(user_id, {})[connection_id] = WebSocketConnection(
                connection_id=connection_id, user_id=user_id, transport=transport
            )
        logger.debug("connected %s for %s (scope=%s)", connection_id, user_id, self.scope)
        return connection_id

    async def disconnect(self, user_id: str, connection_id: str, code: int = 1000) -> bool:
        async with self._lock:
            user_connections = self._connections.get(user_id, {})
            connection = user_connections.pop(connection_id, None)
            if not user_connections:
                self._connections.pop(user_id, None)
        if connection is None:
            return False
        if connection.is_open:
            await connection.transport.close(code)
        logger.debug("disconnected %s for %s", connection_id, user_id)
        return True

    async def disconnect_user(self, user_id: str, code: int = 1000) -> int:
        async with self._lock:
            connection_ids = list(self._connections.get(user_id, {}))
        closed = 0
        for connection_id in connection_ids:
            closed += await self.disconnect(user_id, connection_id, code)
        return closed

    async def prune_closed(self) -> int:
        """Forget connections whose transport has already gone away."""
        removed = 0
        async with self._lock:
            for user_id in list(self._connections):
                user_connections = self._connections[user_id]
                stale = [cid for cid, conn in user_connections.items() if not conn.is_open]
                for connection_id in stale:
                    del user_connections[connection_id]
                removed += len(stale)
                if not user_connections:
                    del self._connections[user_id]
        return removed

    async def close_all(self, code: int = 1001) -> int:
        closed = 0
        for user_id in self.connected_users():
            closed += await self.disconnect_user(user_id, code)
        return closed

    # -- delivery ------------------------------------------------------
    async def _deliver(self, user_id: str, payload: str) -> int:
        async with self._lock:
            targets = list(self._connections.get(user_id, {}).values())
        delivered = 0
        for connection in targets:
            try:
                await connection.transport.send_text(payload)
            except ConnectionClosedError:
                self.failed_sends += 1
                logger.info("dropping message for closed connection %s", connection.connection_id)
                continue
            delivered += 1
        self.messages_sent += delivered
        return delivered

    async def send_to_user(self, user_id: str, message: dict[str, Any]) -> int:
        """Send *message* to every open socket of *user_id*; return the delivery count."""
        self._check_scope(user_id)
        return await self._deliver(user_id, json.dumps(message, default=str))

    async def broadcast(self, message: dict[str, Any], exclude: Iterable[str] = ()) -> int:
        """Send *message* to every user known to this manager."""
        skipped = set(exclude)
        payload = json.dumps(message, default=str)
        delivered = 0
        for user_id in self.connected_users():
            if user_id not in skipped:
                delivered += await self._deliver(user_id, payload)
        return delivered


# ---------------------------------------------------------------------------
# Registry
# ---------------------------------------------------------------------------
_registry_lock = threading.Lock()
_user_managers: dict[str, WebSocketManager] = {}
_shared_manager: WebSocketManager | None = None


def get_websocket_manager(user_context: UserExecutionContext | None = None) -> WebSocketManager:
    """Return the manager for ``user_context`` (the shared manager for ``None``).

    Managers are cached per ``user_id`` so every component working for the
    same user talks to the same sockets, while different users never share a
    manager. The function is synchronous since release 0.4: it only looks up
    (or creates) an entry in an in-process registry, so there is nothing to
    wait for. Writing ``await get_websocket_manager(ctx)`` fails with
    ``TypeError`` because a manager is not awaitable; code that really needs
    to wait for stale connections to be pruned should use
    :func:`get_websocket_manager_async` instead.
    """
    global _shared_manager
    with _registry_lock:
        if user_context is None:
            if _shared_manager is None:
                _shared_manager = WebSocketManager()
            return _shared_manager
        manager = _user_managers.get(user_context.user_id)
        if manager is None:
            manager = WebSocketManager(user_context)
            _user_managers[user_context.user_id] = manager
        return manager


async def get_websocket_manager_async(
    user_context: UserExecutionContext | None = None,
) -> WebSocketManager:
    """Like :func:`get_websocket_manager`, but prunes dead sockets first."""
    manager = get_websocket_manager(user_context)
    removed = await manager.prune_closed()
    if removed:
        logger.info("pruned %d stale connection(s) for %s", removed, manager.scope)
    return manager


def active_managers() -> dict[str, WebSocketManager]:
    """Snapshot of the per-user managers, keyed by user id."""
    with _registry_lock:
        return dict(_user_managers)


def release_websocket_manager(user_id: str) -> WebSocketManager | None:
    """Drop the cached manager of *user_id* (its sockets are left untouched)."""
    with _registry_lock:
        return _user_managers.pop(user_id, None)


def reset_websocket_managers() -> None:
    """Forget every manager. Intended for tests and process shutdown."""
    global _shared_manager
    with _registry_lock:
        _user_managers.clear()
        _shared_manager = None
