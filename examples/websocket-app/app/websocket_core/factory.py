"""Process-wide view over all WebSocket managers."""

from __future__ import annotations

import logging

from .context import UserExecutionContext
from .websocket_manager import (
    WebSocketManager,
    active_managers,
    get_websocket_manager,
    release_websocket_manager,
)

logger = logging.getLogger(__name__)


class WebSocketManagerFactory:
    """Administrative facade used by health checks, admin routes and scripts."""

    def managers(self) -> dict[str, WebSocketManager]:
        return active_managers()

    def active_contexts(self) -> list[UserExecutionContext]:
        return [
            manager.user_context
            for manager in self.managers().values()
            if manager.user_context is not None
        ]

    def total_connections(self) -> int:
        shared = get_websocket_manager()
        return shared.connection_count() + sum(
            manager.connection_count() for manager in self.managers().values()
        )

    async def housekeeping(self) -> int:
        removed = 0
        for manager in [get_websocket_manager(), *self.managers().values()]:
            removed += await manager.prune_closed()
        return removed

    async def release(self, user_id: str, code: int = 1001) -> int:
        manager = release_websocket_manager(user_id)
        if manager is None:
            return 0
        return await manager.close_all(code)

    async def shutdown(self, code: int = 1001) -> int:
        closed = 0
        for user_id in list(self.managers()):
            closed += await self.release(user_id, code)
        shared = get_websocket_manager()
        closed += await shared.close_all(code)
        return closed


_factory: WebSocketManagerFactory | None = None


async def get_websocket_manager_factory() -> WebSocketManagerFactory:
    """Return the process-wide factory after a housekeeping pass."""
    global _factory
    if _factory is None:
        _factory = WebSocketManagerFactory()
    removed = await _factory.housekeeping()
    if removed:
        logger.info("housekeeping removed %d stale connection(s)", removed)
    return _factory
