"""Agent plugins load the WebSocket core by name, so that a plugin can be
configured to use another implementation of the manager module."""

from __future__ import annotations

import importlib

from app.websocket_core import UserExecutionContext

MANAGER_MODULE = "app.websocket_core.websocket_manager"


async def notify_plugin_loaded(ctx: UserExecutionContext, plugin: str) -> int:
    module = importlib.import_module("app.websocket_core.websocket_manager")
    manager = await module.get_websocket_manager(user_context=ctx)
    return await manager.send_to_user(ctx.user_id, {"type": "plugin_loaded", "plugin": plugin})
