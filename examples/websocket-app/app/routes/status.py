"""The `/status` route: what one user's connections look like right now.

Older releases exported the factory from the package only, so the import
falls back to the package's re-export; both names are the same function.
"""

from __future__ import annotations

from app.websocket_core import UserExecutionContext

try:
    from app.websocket_core.websocket_manager import get_websocket_manager
except ImportError:  # releases before the websocket_manager module
    from app.websocket_core import get_websocket_manager


async def status(ctx: UserExecutionContext) -> dict:
    manager = await get_websocket_manager(ctx)
    return {
        "user": ctx.user_id,
        "connected": manager.is_connected(ctx.user_id),
        "sockets": manager.connection_count(ctx.user_id),
    }
