"""WebSocket core: connections, per-user managers and the manager registry."""

from .connection import ConnectionClosedError, InMemoryTransport, WebSocketConnection
from .context import UserExecutionContext
from .factory import WebSocketManagerFactory, get_websocket_manager_factory
from .websocket_manager import (
    WebSocketIsolationError,
    WebSocketManager,
    active_managers,
    get_websocket_manager,
    get_websocket_manager_async,
    release_websocket_manager,
    reset_websocket_managers,
)

__all__ = [
    "ConnectionClosedError",
    "InMemoryTransport",
    "UserExecutionContext",
    "WebSocketConnection",
    "WebSocketIsolationError",
    "WebSocketManager",
    "WebSocketManagerFactory",
    "active_managers",
    "get_websocket_manager",
    "get_websocket_manager_async",
    "get_websocket_manager_factory",
    "release_websocket_manager",
    "reset_websocket_managers",
]
